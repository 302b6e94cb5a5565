module tophash/gomap

go 1.19
