// Command benchplot draws the bar charts of docs/performance.md from
// `bitnet bench --json` results, one JSON object per line:
//
//	go run ./tools/benchplot -o docs/bench.png results.jsonl
//
// Each object may carry a "label" field naming its bar group (default:
// the model file's base name, threads and head). The chart has one panel
// for prompt and one for generation speed, with mean ± sd as a bar and a
// whisker. No dependency beyond the standard library: text uses a built-in
// 5×7 bitmap font.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
)

type result struct {
	Label      string  `json:"label"`
	Model      string  `json:"model"`
	Threads    int     `json:"threads"`
	Head       string  `json:"head"`
	PromptTokS float64 `json:"prompt_tok_s"`
	PromptSD   float64 `json:"prompt_tok_s_sd"`
	GenTokS    float64 `json:"gen_tok_s"`
	GenSD      float64 `json:"gen_tok_s_sd"`
	Reference  *struct {
		Prompt float64 `json:"prompt_tok_s"`
		Gen    float64 `json:"gen_tok_s"`
	} `json:"reference"`
}

func (r result) label() string {
	if r.Label != "" {
		return strings.ToUpper(r.Label)
	}
	name := strings.TrimSuffix(filepath.Base(r.Model), ".gguf")
	s := fmt.Sprintf("%s T%d", name, r.Threads)
	if r.Head == "q8" {
		s += " Q8"
	}
	return strings.ToUpper(s)
}

func main() {
	out := flag.String("o", "bench.png", "output PNG `file`")
	title := flag.String("title", "BITNET BENCH (TOK/S)", "chart title")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: benchplot [-o out.png] [-title T] results.jsonl")
		os.Exit(2)
	}
	rs, err := read(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchplot:", err)
		os.Exit(1)
	}
	img := draw(rs, strings.ToUpper(*title))
	if err := writePNG(*out, img); err != nil {
		fmt.Fprintln(os.Stderr, "benchplot:", err)
		os.Exit(1)
	}
}

func read(path string) ([]result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rs []result
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		t := strings.TrimSpace(sc.Text())
		if t == "" {
			continue
		}
		var r result
		if err := json.Unmarshal([]byte(t), &r); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		rs = append(rs, r)
	}
	if len(rs) == 0 {
		return nil, fmt.Errorf("%s: no results", path)
	}
	return rs, sc.Err()
}

// writePNG writes through a temporary file and renames it into place.
func writePNG(path string, img image.Image) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".benchplot-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := png.Encode(tmp, img); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

var (
	white = color.RGBA{255, 255, 255, 255}
	black = color.RGBA{20, 20, 20, 255}
	grey  = color.RGBA{200, 200, 200, 255}
	ours  = color.RGBA{40, 110, 200, 255}
	refc  = color.RGBA{230, 140, 40, 255}
)

const scale = 2 // font pixel size

func draw(rs []result, title string) *image.RGBA {
	const (
		panelW, panelH = 560, 360
		margin         = 60
	)
	W, H := 2*panelW+3*margin, panelH+3*margin+80
	img := image.NewRGBA(image.Rect(0, 0, W, H))
	fill(img, img.Bounds(), white)
	text(img, margin, 20, title, black)
	for p, name := range []string{"PROMPT", "GENERATION"} {
		x0 := margin + p*(panelW+margin)
		y0 := 2 * margin
		vals := func(r result) (float64, float64, float64) {
			var ref float64
			if p == 0 {
				if r.Reference != nil {
					ref = r.Reference.Prompt
				}
				return r.PromptTokS, r.PromptSD, ref
			}
			if r.Reference != nil {
				ref = r.Reference.Gen
			}
			return r.GenTokS, r.GenSD, ref
		}
		var vmax float64
		for _, r := range rs {
			v, sd, ref := vals(r)
			vmax = max(vmax, v+sd, ref)
		}
		vmax = niceMax(vmax)
		text(img, x0, y0-30, name+" TOK/S", black)
		// axes and grid
		for i := 0; i <= 4; i++ {
			y := y0 + panelH - i*panelH/4
			fill(img, image.Rect(x0, y, x0+panelW, y+1), grey)
			text(img, x0-50, y-6, fmt.Sprintf("%.0f", vmax*float64(i)/4), black)
		}
		fill(img, image.Rect(x0, y0, x0+1, y0+panelH), black)
		slot := panelW / len(rs)
		bw := slot / 3
		for i, r := range rs {
			v, sd, ref := vals(r)
			x := x0 + i*slot + slot/6
			bar := func(x int, v float64, c color.RGBA) {
				h := int(v / vmax * panelH)
				fill(img, image.Rect(x, y0+panelH-h, x+bw, y0+panelH), c)
			}
			bar(x, v, ours)
			if sd > 0 {
				top, bot := y0+panelH-int((v+sd)/vmax*panelH), y0+panelH-int((v-sd)/vmax*panelH)
				fill(img, image.Rect(x+bw/2, top, x+bw/2+2, bot), black)
			}
			text(img, x, y0+panelH-int(v/vmax*panelH)-18, fmt.Sprintf("%.0f", v), black)
			if ref > 0 {
				bar(x+bw+2, ref, refc)
			}
			for k, word := range strings.Fields(r.label()) {
				text(img, x, y0+panelH+8+k*18, word, black)
			}
		}
	}
	// legend
	ly := H - 30
	fill(img, image.Rect(margin, ly, margin+14, ly+14), ours)
	text(img, margin+20, ly, "BITNET (GO)", black)
	fill(img, image.Rect(margin+200, ly, margin+214, ly+14), refc)
	text(img, margin+220, ly, "BITNET.CPP (REFERENCE TABLE)", black)
	return img
}

// niceMax rounds v up to 1, 2 or 5 times a power of ten.
func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := 1.0
	for p*10 <= v {
		p *= 10
	}
	for p > v {
		p /= 10
	}
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func fill(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetRGBA(x, y, c)
		}
	}
}

// text draws s at (x, y) in the 5×7 font, scaled; unknown runes are blank.
func text(img *image.RGBA, x, y int, s string, c color.RGBA) {
	for _, ch := range s {
		g := glyphs[ch]
		for row := range 7 {
			for col := range 5 {
				if g[row]&(0x10>>col) != 0 {
					fill(img, image.Rect(x+col*scale, y+row*scale, x+(col+1)*scale, y+(row+1)*scale), c)
				}
			}
		}
		x += 6 * scale
	}
}
