package gorules

import (
	"fmt"
	"os"
	"testing"

	"tophash/gomap"
)

func TestMain(m *testing.M) {
	if err := checkRuntime(); err != nil {
		fmt.Fprintln(os.Stderr, "go-rules:", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// checkRuntime refuses to run on anything but the layouts gomap reads, and
// checks that its views find every key where the hasher says it is.
func checkRuntime() error {
	if err := gomap.Check(); err != nil {
		return err
	}
	if err := gomap.CheckPlacement(func(i int) uint64 { return uint64(i) * 0x9e3779b97f4a7c15 }); err != nil {
		return fmt.Errorf("map[uint64]uint64: %v", err)
	}
	if err := gomap.CheckPlacement(func(i int) float64 { return float64(i) + 0.5 }); err != nil {
		return fmt.Errorf("map[float64]uint64: %v", err)
	}
	return nil
}
