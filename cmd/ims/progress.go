package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// progress reports the advance of a transfer or a job on stderr: a bar
// redrawn in place on a terminal, plain lines (every 10% or 5 s)
// otherwise.
type progress struct {
	w     io.Writer
	tty   bool
	label string
	// total is the size in bytes; percent mode uses percentTotal.
	total   int64
	percent bool // a job: no byte counts, no rate
	base    int64
	start   time.Time
	cur     atomic.Int64
	pollFn  atomic.Pointer[func() int64]
	status  atomic.Value // string shown after the bar (job status)
	stop    chan struct{}
	wg      sync.WaitGroup
	// non-terminal state, used only by the reporting goroutine and finish
	lastStep int
	lastLine time.Time
	printed  int64
}

// percentTotal is the scale of percent mode (0.1% resolution).
const percentTotal = 1000

// Redraw and line intervals.
var (
	progressTick     = 200 * time.Millisecond
	progressLineStep = 10 // percent between plain lines
	progressLineTime = 5 * time.Second
)

// newByteProgress starts reporting a transfer of total bytes of which base
// were already done (a resumed download).
func newByteProgress(w io.Writer, tty bool, label string, total, base int64) *progress {
	p := &progress{w: w, tty: tty, label: label, total: total, base: base}
	p.cur.Store(base)
	p.begin()
	return p
}

// newPercentProgress starts reporting a job's completion fraction.
func newPercentProgress(w io.Writer, tty bool, label string) *progress {
	p := &progress{w: w, tty: tty, label: label, total: percentTotal, percent: true}
	p.begin()
	return p
}

func (p *progress) begin() {
	p.start = time.Now()
	p.lastLine = p.start
	p.lastStep = -1
	p.printed = -1
	p.status.Store("")
	p.stop = make(chan struct{})
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(progressTick)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.report(false)
			}
		}
	}()
}

// add counts n more bytes.
func (p *progress) add(n int64) { p.cur.Add(n) }

// poll makes the reporter read the position from fn instead of add.
func (p *progress) poll(fn func() int64) { p.pollFn.Store(&fn) }

// position is the current count.
func (p *progress) position() int64 {
	if fn := p.pollFn.Load(); fn != nil {
		return (*fn)()
	}
	return p.cur.Load()
}

// setFraction records a job's process_percent (0..1) and status.
func (p *progress) setFraction(f float64, status string) {
	p.cur.Store(int64(f*percentTotal + 0.5))
	p.status.Store(status)
}

// finish stops the reporting goroutine and writes the final state.
func (p *progress) finish() {
	close(p.stop)
	p.wg.Wait()
	p.report(true)
	if p.tty {
		fmt.Fprintln(p.w)
	}
}

// report draws the bar (terminal) or prints a line when due.
func (p *progress) report(final bool) {
	cur := p.position()
	if p.tty {
		fmt.Fprintf(p.w, "\r%s\x1b[K", p.line(cur, true))
		return
	}
	step := -1
	if p.total > 0 {
		step = int(min(cur, p.total) * 100 / p.total / int64(progressLineStep))
	}
	now := time.Now()
	due := step > p.lastStep || now.Sub(p.lastLine) >= progressLineTime
	if final {
		due = cur != p.printed
	}
	if !due {
		return
	}
	p.lastStep, p.lastLine, p.printed = step, now, cur
	fmt.Fprintln(p.w, p.line(cur, false))
}

// line renders the current state.
func (p *progress) line(cur int64, bar bool) string {
	elapsed := time.Since(p.start)
	var b strings.Builder
	b.WriteString(p.label)
	frac := -1.0
	if p.total > 0 {
		frac = min(float64(cur)/float64(p.total), 1)
	}
	if bar {
		const width = 30
		filled := 0
		if frac >= 0 {
			filled = int(frac * width)
		}
		b.WriteString(" [" + strings.Repeat("=", filled))
		if filled < width {
			b.WriteString(">" + strings.Repeat(" ", width-filled-1))
		}
		b.WriteString("]")
	} else {
		b.WriteString(":")
	}
	if frac >= 0 {
		fmt.Fprintf(&b, " %5.1f%%", frac*100)
	}
	if p.percent {
		if s, _ := p.status.Load().(string); s != "" {
			b.WriteString(" " + s)
		}
		fmt.Fprintf(&b, "  %s elapsed", fmtDuration(elapsed))
		return b.String()
	}
	if p.total > 0 {
		fmt.Fprintf(&b, "  %s / %s", humanBytes(cur), humanBytes(p.total))
	} else {
		fmt.Fprintf(&b, "  %s", humanBytes(cur))
	}
	rate := 0.0
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(cur-p.base) / s
	}
	fmt.Fprintf(&b, "  %s/s", humanBytes(int64(rate)))
	switch {
	case p.total > 0 && cur >= p.total:
		fmt.Fprintf(&b, "  in %s", fmtDuration(elapsed))
	case p.total > 0 && rate > 0:
		fmt.Fprintf(&b, "  ETA %s", fmtDuration(time.Duration(float64(p.total-cur)/rate*float64(time.Second))))
	default:
		b.WriteString("  ETA --")
	}
	return b.String()
}

// fmtDuration renders a duration as m:ss (or h:mm:ss).
func fmtDuration(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
