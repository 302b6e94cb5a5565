module tophash/go-recorder

go 1.19
