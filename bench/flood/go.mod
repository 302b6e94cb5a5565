module tophash/bench/flood

go 1.19
