package gomap

// Go's growth rule (runtime/map.go): a map grows when a new key would
// leave more than LoadFactorNum/LoadFactorDen (6.5) entries per bucket.
const (
	LoadFactorNum = 13
	LoadFactorDen = 2
)

// OverLoadFactor reports whether count entries are over the load factor
// for 2^B buckets (runtime.overLoadFactor).
func OverLoadFactor(count uint64, B uint8) bool {
	return count > BucketCnt && count > LoadFactorNum*((uint64(1)<<B)/LoadFactorDen)
}

// KeySet is a set whose members can be drawn at random in constant time:
// the live keys of the random program generators (the recorder's gen, the
// go-rules tracker's model). Its order depends only on the calls made (an
// add appends, a remove moves the last member into the hole), never on
// Go's map iteration, so a program drawn from it depends only on its seed.
type KeySet[T comparable] struct {
	items []T
	at    map[T]int
}

// Add adds x; it reports whether x was new.
func (s *KeySet[T]) Add(x T) bool {
	if _, ok := s.at[x]; ok {
		return false
	}
	if s.at == nil {
		s.at = map[T]int{}
	}
	s.at[x] = len(s.items)
	s.items = append(s.items, x)
	return true
}

// Remove removes x; it reports whether x was there.
func (s *KeySet[T]) Remove(x T) bool {
	i, ok := s.at[x]
	if !ok {
		return false
	}
	last := s.items[len(s.items)-1]
	s.items[i] = last
	s.at[last] = i
	s.items = s.items[:len(s.items)-1]
	delete(s.at, x)
	return true
}

func (s *KeySet[T]) Has(x T) bool { _, ok := s.at[x]; return ok }
func (s *KeySet[T]) Len() int     { return len(s.items) }
func (s *KeySet[T]) At(i int) T   { return s.items[i] }

// Members is the set in its order; the caller must not change it.
func (s *KeySet[T]) Members() []T { return s.items }

// Clear empties the set.
func (s *KeySet[T]) Clear() {
	s.items = s.items[:0]
	s.at = nil
}
