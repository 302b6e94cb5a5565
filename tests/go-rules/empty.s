// Present so that clear_test.go may declare runtime.mapclear by
// go:linkname without a body.
