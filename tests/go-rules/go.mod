module tophash/go-rules

go 1.19
