package iamdata

import (
	"slices"
	"testing"
)

func mustID(t testing.TB, action string) ActionID {
	t.Helper()
	a, ok := Lookup(action)
	if !ok {
		t.Fatalf("action %s not found", action)
	}
	return a.ID
}

func TestActionSetZeroValueIsEmptyAndUsable(t *testing.T) {
	var s ActionSet
	getObject := mustID(t, "s3:GetObject")
	if s.Len() != 0 || s.Has(getObject) {
		t.Fatal("zero ActionSet is not empty")
	}
	s.Add(getObject)
	if !s.Has(getObject) || s.Len() != 1 {
		t.Errorf("after Add: Has = %v, Len = %d", s.Has(getObject), s.Len())
	}
	s.Remove(getObject)
	if s.Has(getObject) || s.Len() != 0 {
		t.Errorf("after Remove: Has = %v, Len = %d", s.Has(getObject), s.Len())
	}
}

func TestActionSetIgnoresInvalidIDs(t *testing.T) {
	var s ActionSet
	s.Add(0, ActionID(len(Expand("*"))+1), ActionID(1<<31))
	if s.Len() != 0 {
		t.Errorf("Len = %d after adding only invalid IDs", s.Len())
	}
	s.Remove(ActionID(1 << 31)) // must not panic
}

func TestActionSetOperations(t *testing.T) {
	get := NewActionSet(Expand("s3:Get*")...)
	all := NewActionSet(Expand("s3:*")...)
	object := NewActionSet(Expand("s3:*Object")...)

	union := slices.Concat(Expand("s3:Get*"), Expand("s3:*Object"))
	slices.Sort(union)
	union = slices.Compact(union)
	difference := slices.DeleteFunc(slices.Clone(Expand("s3:*")), func(id ActionID) bool {
		return slices.Contains(Expand("s3:Get*"), id)
	})

	tests := []struct {
		name string
		got  ActionSet
		want []ActionID
	}{
		{"union", apply(get, (*ActionSet).UnionWith, &object), union},
		{"intersection", apply(get, (*ActionSet).IntersectWith, &object), Expand("s3:Get*Object")},
		{"difference", apply(all, (*ActionSet).DifferenceWith, &get), difference},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := slices.Collect(tt.got.All()); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", names(got), names(tt.want))
			}
			if tt.got.Len() != len(tt.want) {
				t.Errorf("Len = %d, want %d", tt.got.Len(), len(tt.want))
			}
		})
	}
	if get.Len() != len(Expand("s3:Get*")) {
		t.Error("an operation on a clone changed the original set")
	}
}

// apply runs a set operation on a clone of s and returns the result.
func apply(s ActionSet, op func(*ActionSet, *ActionSet), other *ActionSet) ActionSet {
	result := s.Clone()
	op(&result, other)
	return result
}

func TestActionSetOperationsOnSetsOfDifferentSizes(t *testing.T) {
	first := Expand("*")[0] // lives in the first word
	small := NewActionSet(first)
	large := NewActionSet(first, mustID(t, "s3:GetObject"))

	union := small.Clone()
	union.UnionWith(&large)
	if !union.Equal(&large) {
		t.Errorf("small ∪ large = %v, want %v", names(slices.Collect(union.All())), names(slices.Collect(large.All())))
	}
	intersection := large.Clone()
	intersection.IntersectWith(&small)
	if !intersection.Equal(&small) {
		t.Errorf("large ∩ small = %v, want %v", names(slices.Collect(intersection.All())), names(slices.Collect(small.All())))
	}
	difference := small.Clone()
	difference.DifferenceWith(&large)
	if difference.Len() != 0 {
		t.Errorf("small \\ large = %v, want empty", names(slices.Collect(difference.All())))
	}
	var empty ActionSet
	if !difference.Equal(&empty) || !empty.Equal(&difference) {
		t.Error("an emptied set does not equal the zero set")
	}
	if small.Equal(&large) || large.Equal(&small) {
		t.Error("different sets compare equal")
	}
}

func TestActionSetCloneIsIndependent(t *testing.T) {
	original := NewActionSet(mustID(t, "s3:GetObject"))
	clone := original.Clone()
	clone.Add(mustID(t, "s3:PutObject"))
	if original.Has(mustID(t, "s3:PutObject")) {
		t.Error("adding to a clone changed the original")
	}
}

func TestActionSetAllStopsWhenAsked(t *testing.T) {
	s := NewActionSet(Expand("s3:*")...)
	count := 0
	for range s.All() {
		count++
		if count == 3 {
			break
		}
	}
	if count != 3 {
		t.Errorf("iterated %d times, want 3", count)
	}
}

func BenchmarkActionSetUnionOfEveryAction(b *testing.B) {
	everything := NewActionSet(Expand("*")...)
	b.ReportAllocs()
	for b.Loop() {
		var s ActionSet
		s.UnionWith(&everything)
	}
}
