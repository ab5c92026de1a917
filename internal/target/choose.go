package target

// Overall is the outcome of several judgements: Missed if any is missed,
// else Undecided if any is undecided, else Met (also for none).
func Overall(js []Judgement) Status {
	s := Met
	for _, j := range js {
		if j.Status == Missed {
			return Missed
		}
		if j.Status == Undecided {
			s = Undecided
		}
	}
	return s
}

// Point is one evaluated value of a tuned parameter: a point of a sweep,
// or of advise's search.
type Point struct {
	Label string  // the value as written, such as 4m15s
	Value float64 // the value in its unit (seconds for a duration)
	// Cost is what is minimised, per unit of its exposure (such as
	// overhead bytes per client-hour); lower is better.
	Cost       float64
	Judgements []Judgement // every group's, every limit's
}

// Meets reports whether every limit is met at p.
func (p Point) Meets() bool { return Overall(p.Judgements) == Met }

// Cheapest returns the index of the point of least cost among those that
// meet the target, the first of equal costs; ok is false when none does.
// Nothing is assumed of how cost or judgements vary with the value.
func Cheapest(points []Point) (best int, ok bool) {
	best = -1
	for i, p := range points {
		if p.Meets() && (best < 0 || p.Cost < points[best].Cost) {
			best = i
		}
	}
	return best, best >= 0
}
