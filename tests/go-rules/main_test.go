package gorules

import (
	"fmt"
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	if err := checkRuntime(); err != nil {
		fmt.Fprintln(os.Stderr, "go-rules:", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}
