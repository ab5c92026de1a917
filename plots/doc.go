// Package plots draws natsim's charts with gonum/plot from plain data:
// lines of points with optional error bars and point labels, vertical
// marks, and heat maps with a colour bar. It knows nothing of the
// simulator; callers turn results into series.
//
// Charts are made to be pasted into a document: PNG at 150 DPI, SVG with
// its fonts embedded (so it renders without them installed), or PDF. Log
// axes never receive zero, negative or NaN values: such points are drawn
// at a floor a decade below the smallest positive value, and the chart
// says so.
package plots
