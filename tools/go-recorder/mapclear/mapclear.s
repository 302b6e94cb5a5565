// Empty: its presence lets mapclear.go declare a function without a body
// (bound to the runtime's by go:linkname).
