// Package gorules holds no code: its tests (go test in this folder) show,
// on the real Go 1.19 runtime, each rule of iteration that the harness's
// iteration oracle (reference/iter_oracle.h) asserts. See README.md.
package gorules
