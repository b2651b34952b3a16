package main

import (
	"fmt"
	"image/color"
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// palette gives evmachine a strong colour and the peers quieter ones, in
// the order of servers().
var palette = map[string]color.RGBA{
	subject:   {R: 0xd9, G: 0x48, B: 0x01, A: 0xff}, // orange
	refGnet:   {R: 0x1f, G: 0x5a, B: 0x96, A: 0xff}, // dark blue
	"gnet-mc": {R: 0x7f, G: 0xa8, B: 0xd1, A: 0xff}, // light blue
	refStd:    {R: 0x2e, G: 0x8b, B: 0x57, A: 0xff}, // green
	"em":      {R: 0xa3, G: 0x1f, B: 0x34, A: 0xff}, // ruby red
	"node":    {R: 0x8c, G: 0x8c, B: 0x8c, A: 0xff}, // grey
}

// panel is one bar chart of the figure: one group per scenario, one bar
// per server.
type panel struct {
	title, ylabel string
	scenarios     []string
	metric        Metric
}

var chartPanels = []panel{
	{"Round trips per second (median; higher is better)", "round trips/s", []string{"S1", "S2", "S4", "S5"}, mRate},
	{"Server CPU per round trip (median; lower is better)", "µs of server CPU / round trip", []string{"S1", "S2", "S5"}, mCPUPerRT},
	{"Server memory per connection (median; lower is better)", "KiB RSS / connection", []string{"S3", "S2", "S5"}, mRSSPerConn},
}

// writeChart draws results.svg: the three panels stacked.
func writeChart(w io.Writer, res *Results) error {
	srvs := res.ran()
	if len(srvs) == 0 {
		return fmt.Errorf("chart: no server ran")
	}
	plot.DefaultFont = font.Font{Typeface: "Liberation", Variant: "Sans"}
	var rows [][]*plot.Plot
	for i, pn := range chartPanels {
		p, err := drawPanel(res, srvs, pn, i == 0)
		if err != nil {
			return err
		}
		rows = append(rows, []*plot.Plot{p})
	}
	const width, height = 9 * vg.Inch, 12 * vg.Inch
	img := vgsvg.New(width, height)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: len(rows), Cols: 1, PadX: vg.Millimeter, PadY: 8 * vg.Millimeter,
		PadTop: 4 * vg.Millimeter, PadBottom: 2 * vg.Millimeter, PadLeft: 2 * vg.Millimeter, PadRight: 4 * vg.Millimeter}
	canvases := plot.Align(rows, tiles, dc)
	for i := range rows {
		rows[i][0].Draw(canvases[i][0])
	}
	if _, err := img.WriteTo(w); err != nil {
		return fmt.Errorf("chart: %w", err)
	}
	return nil
}

func drawPanel(res *Results, srvs []ServerInfo, pn panel, legend bool) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = pn.title + "; whiskers: min–max of runs"
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.Y.Label.Text = pn.ylabel
	p.Y.Min = 0
	p.Y.Tick.Marker = plot.TickerFunc(commaTicks)
	names := make([]string, len(pn.scenarios))
	for i, sc := range pn.scenarios {
		names[i] = scenarioShort(res, sc)
	}
	p.NominalX(names...)
	barW := vg.Points(min(16, 330/float64(len(srvs)*len(pn.scenarios))))
	top := 0.0
	for i, s := range srvs {
		vs := make(plotter.Values, len(pn.scenarios))
		rb := &rangeBars{lo: make([]float64, len(pn.scenarios)), hi: make([]float64, len(pn.scenarios))}
		for j, sc := range pn.scenarios {
			sum := res.Summary(sc, s.Name, pn.metric)
			vs[j], rb.lo[j], rb.hi[j] = zeroNaN(sum.Median), zeroNaN(sum.Min), zeroNaN(sum.Max)
			top = max(top, vs[j], rb.hi[j])
		}
		bars, err := plotter.NewBarChart(vs, barW)
		if err != nil {
			return nil, fmt.Errorf("chart: %w", err)
		}
		bars.Color = palette[s.Name]
		bars.LineStyle.Width = 0
		bars.Offset = barW * vg.Length(float64(i)-float64(len(srvs)-1)/2)
		rb.offset, rb.cap = bars.Offset, barW/4
		p.Add(bars, rb)
		if legend {
			p.Legend.Add(s.Label, bars)
		}
	}
	// Headroom above the tallest bar; the legend sits in it.
	p.Y.Max = top * 1.12
	if legend {
		p.Y.Max = top * (1.15 + 0.09*float64(len(srvs)))
	}
	p.Legend.Top = true
	p.Legend.Left = false
	p.Legend.Padding = vg.Points(1)
	grid := plotter.NewGrid()
	grid.Vertical.Width = 0
	p.Add(grid)
	return p, nil
}

// scenarioShort is a bar group's label, e.g. "S2: 10,000 conns, 64 B".
func scenarioShort(res *Results, id string) string {
	for _, sc := range res.Scenarios {
		if sc.ID != id {
			continue
		}
		conns := thousands(float64(sc.Conns))
		if sc.Conns >= 10_000 {
			conns = fmt.Sprintf("%dk", sc.Conns/1000)
		}
		if sc.Idle {
			return fmt.Sprintf("%s: %s idle conns", id, conns)
		}
		size := fmt.Sprintf("%d B", sc.Size)
		if sc.Size >= 1024 {
			size = fmt.Sprintf("%d KiB", sc.Size/1024)
		}
		return fmt.Sprintf("%s: %s × %s", id, conns, size)
	}
	return id
}

// commaTicks is the default ticker with thousands separators.
func commaTicks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = fmtSig(ticks[i].Value)
		}
	}
	return ticks
}

func zeroNaN(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return v
}

// rangeBars draws a min–max whisker over each bar of one server: how far
// the runs were from the median the bar shows. gonum's error bars have no
// offset, and the bars are offset in canvas units, not data units.
type rangeBars struct {
	lo, hi      []float64
	offset, cap vg.Length
}

// Plot implements plot.Plotter.
func (r *rangeBars) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	style := draw.LineStyle{Color: color.Black, Width: vg.Points(0.7)}
	for i := range r.lo {
		if r.hi[i] <= r.lo[i] {
			continue
		}
		x := trX(float64(i)) + r.offset
		y0, y1 := trY(r.lo[i]), trY(r.hi[i])
		c.StrokeLine2(style, x, y0, x, y1)
		c.StrokeLine2(style, x-r.cap, y0, x+r.cap, y0)
		c.StrokeLine2(style, x-r.cap, y1, x+r.cap, y1)
	}
}
