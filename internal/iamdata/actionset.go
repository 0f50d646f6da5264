package iamdata

import (
	"iter"
	"math/bits"
)

// ActionSet is a set of actions, one bit per ActionID; a set of every
// action takes under 3 KB. The zero value is an empty set ready to use.
// Copying an ActionSet shares its storage: use Clone for an independent copy.
// Like a map, it is not safe for concurrent writes.
type ActionSet struct {
	words []uint64
}

// NewActionSet returns a set holding the given actions.
func NewActionSet(ids ...ActionID) ActionSet {
	var s ActionSet
	s.Add(ids...)
	return s
}

// Add puts the actions into the set. Invalid IDs are ignored.
func (s *ActionSet) Add(ids ...ActionID) {
	for _, id := range ids {
		if !id.Valid() {
			continue
		}
		word := int(id / 64)
		if word >= len(s.words) {
			s.grow(word + 1)
		}
		s.words[word] |= 1 << (id % 64)
	}
}

// Remove takes the actions out of the set.
func (s *ActionSet) Remove(ids ...ActionID) {
	for _, id := range ids {
		if word := int(id / 64); word < len(s.words) {
			s.words[word] &^= 1 << (id % 64)
		}
	}
}

// Has reports whether the action is in the set.
func (s *ActionSet) Has(id ActionID) bool {
	word := int(id / 64)
	return word < len(s.words) && s.words[word]&(1<<(id%64)) != 0
}

// Len returns the number of actions in the set.
func (s *ActionSet) Len() int {
	n := 0
	for _, w := range s.words {
		n += bits.OnesCount64(w)
	}
	return n
}

// UnionWith adds every action of other to s.
func (s *ActionSet) UnionWith(other *ActionSet) {
	if len(other.words) > len(s.words) {
		s.grow(len(other.words))
	}
	for i, w := range other.words {
		s.words[i] |= w
	}
}

// IntersectWith keeps in s only the actions also in other.
func (s *ActionSet) IntersectWith(other *ActionSet) {
	for i := range s.words {
		if i < len(other.words) {
			s.words[i] &= other.words[i]
		} else {
			s.words[i] = 0
		}
	}
}

// DifferenceWith removes from s every action of other.
func (s *ActionSet) DifferenceWith(other *ActionSet) {
	for i := range min(len(s.words), len(other.words)) {
		s.words[i] &^= other.words[i]
	}
}

// Equal reports whether both sets hold the same actions.
func (s *ActionSet) Equal(other *ActionSet) bool {
	longer, shorter := s.words, other.words
	if len(shorter) > len(longer) {
		longer, shorter = shorter, longer
	}
	for i, w := range longer {
		if i < len(shorter) {
			if w != shorter[i] {
				return false
			}
		} else if w != 0 {
			return false
		}
	}
	return true
}

// Clone returns an independent copy of the set.
func (s *ActionSet) Clone() ActionSet {
	return ActionSet{words: append([]uint64(nil), s.words...)}
}

// All yields the set's actions in ascending ActionID order (the order of
// Services, then names). The set must not change during the iteration.
func (s *ActionSet) All() iter.Seq[ActionID] {
	return func(yield func(ActionID) bool) {
		for i, w := range s.words {
			for w != 0 {
				bit := bits.TrailingZeros64(w)
				if !yield(ActionID(i*64 + bit)) {
					return
				}
				w &^= 1 << bit
			}
		}
	}
}

// grow extends the set to hold n words. Sets usually end up sized for every
// action, so growing straight to that size saves repeated copying.
func (s *ActionSet) grow(n int) {
	if all := len(loadActions().actions)/64 + 1; n < all {
		n = all
	}
	words := make([]uint64, n)
	copy(words, s.words)
	s.words = words
}
