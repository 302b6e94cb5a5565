module tophash/bench/gosync

go 1.19
