// Package plots draws natsim's charts with gonum/plot from plain data:
// lines of points with optional error bars (one-sided for a bound) and
// point labels, highlighted points, vertical marks and horizontal
// levels, and heat maps with a sequential colour bar, linear or log. A
// y axis may be symmetric-log (SymLog: linear near 0, log beyond), which
// gonum lacks. Point labels are placed greedily where they cover no other
// label or point, and left out where there is no such place. It knows
// nothing of the simulator; callers turn results into series.
//
// Charts are made to be pasted into a document: PNG at 150 DPI, SVG with
// its fonts embedded (so it renders without them installed), or PDF. Log
// axes never receive zero, negative or NaN values: such points are drawn
// at a floor a decade below the smallest positive value, and the chart
// says so.
package plots
