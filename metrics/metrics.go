// Package metrics holds imsd's Prometheus collectors and the handler that
// exposes them. It is the only package that imports the Prometheus client:
// the HTTP server and the job runner report through plain function hooks
// that app connects to a Set, and the registry is created by app (never the
// global default registry).
//
// The metrics, all prefixed imsd_:
//
//	imsd_http_requests_total{route,method,code}    requests answered
//	imsd_http_request_duration_seconds{route}      request latency (histogram)
//	imsd_image_uploaded_bytes_total                image data received by uploads
//	imsd_image_downloaded_bytes_total              image data sent by downloads
//	imsd_copy_jobs_finished_total{status}          copy jobs ended SUCCESS or FAIL
//	imsd_copy_job_duration_seconds{status}         first claim to end of a copy job (histogram)
//	imsd_jobs_queued, imsd_jobs_running            jobs INIT / RUNNING in the store, read at scrape time
//	imsd_node_info{node}                           1, naming the node that serves the scrape
//
// route is the Name of an entry of the API route table (or NotFound /
// MethodNotAllowed), never a request path, so the label sets stay bounded.
// The Go runtime (go_*) and process (process_*) collectors are registered
// too.
package metrics

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/imsd/imsd"
)

// Options configures a Set. The zero value is valid.
type Options struct {
	// JobCounts, when set, is called at every scrape for the number of jobs
	// queued (INIT) and running (RUNNING) in the store; an error drops the
	// two gauges from that scrape and is logged.
	JobCounts func(ctx context.Context) (queued, running int, err error)
	// JobCountsTimeout bounds a JobCounts call (default 5 s).
	JobCountsTimeout time.Duration
	// Log receives errors met while serving a scrape; nil discards them.
	Log *slog.Logger
	// Node, when set, is exported as imsd_node_info{node="..."} 1, the
	// Prometheus way for a target to name itself (join on it by instance).
	Node string
}

// Set is imsd's collectors, registered in one registry, and the scrape
// handler of that registry. Its methods are safe for concurrent use.
type Set struct {
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	uploaded    prometheus.Counter
	downloaded  prometheus.Counter
	jobsDone    *prometheus.CounterVec
	jobDuration *prometheus.HistogramVec
	handler     http.Handler
}

// New registers imsd's collectors, the Go runtime collector and the
// process collector in reg and returns the Set. It fails when reg already
// holds any of them.
func New(reg *prometheus.Registry, opts Options) (*Set, error) {
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Set{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "imsd_http_requests_total",
			Help: "HTTP requests answered by the API, by route name, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "imsd_http_request_duration_seconds",
			Help: "Time to answer an API request, by route name.",
			// From quick metadata calls to multi-gigabyte transfers.
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 1800},
		}, []string{"route"}),
		uploaded: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "imsd_image_uploaded_bytes_total",
			Help: "Image data received by uploads, whatever their outcome.",
		}),
		downloaded: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "imsd_image_downloaded_bytes_total",
			Help: "Image data sent by downloads.",
		}),
		jobsDone: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "imsd_copy_jobs_finished_total",
			Help: "Copy jobs finished by this process, by final status (SUCCESS or FAIL).",
		}, []string{"status"}),
		jobDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "imsd_copy_job_duration_seconds",
			Help: "Time from a copy job's first claim to its end, by final status.",
			// From same-key copies (no data moved) to long data copies.
			Buckets: []float64{.01, .05, .1, .5, 1, 5, 10, 30, 60, 300, 900, 3600},
		}, []string{"status"}),
	}
	for _, st := range []imsd.JobStatus{imsd.JobSuccess, imsd.JobFail} {
		s.jobsDone.WithLabelValues(string(st))
		s.jobDuration.WithLabelValues(string(st))
	}
	cs := []prometheus.Collector{s.requests, s.duration, s.uploaded, s.downloaded, s.jobsDone, s.jobDuration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})}
	if opts.Node != "" {
		info := prometheus.NewGauge(prometheus.GaugeOpts{
			Name:        "imsd_node_info",
			Help:        "Always 1; its node label is the name of the imsd node serving the scrape (--node-name).",
			ConstLabels: prometheus.Labels{"node": opts.Node},
		})
		info.Set(1)
		cs = append(cs, info)
	}
	if opts.JobCounts != nil {
		timeout := opts.JobCountsTimeout
		if timeout <= 0 {
			timeout = 5 * time.Second
		}
		cs = append(cs, newJobCounts(opts.JobCounts, timeout))
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("metrics: %w", err)
		}
	}
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:      printlnLogger{log},
		ErrorHandling: promhttp.ContinueOnError,
		Registry:      reg,
	})
	s.handler = promhttp.InstrumentMetricHandler(reg, h)
	return s, nil
}

// Handler serves the registry in the Prometheus exposition formats.
func (s *Set) Handler() http.Handler { return s.handler }

// ObserveRequest records one answered API request. route must come from
// the route table, never from the request path.
func (s *Set) ObserveRequest(route, method string, status int, d time.Duration) {
	s.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	s.duration.WithLabelValues(route).Observe(d.Seconds())
}

// AddImageBytes adds image data received by uploads and sent by downloads.
func (s *Set) AddImageBytes(uploaded, downloaded int64) {
	if uploaded > 0 {
		s.uploaded.Add(float64(uploaded))
	}
	if downloaded > 0 {
		s.downloaded.Add(float64(downloaded))
	}
}

// ObserveJob records a finished job in its final state. Jobs of types other
// than the in-region copy and unfinished jobs are ignored.
func (s *Set) ObserveJob(job *imsd.Job) {
	if job.Type != imsd.JobTypeCopyInRegion || !job.Status.Done() {
		return
	}
	status := string(job.Status)
	s.jobsDone.WithLabelValues(status).Inc()
	begin := job.BeginTime
	if begin.IsZero() {
		begin = job.CreatedAt
	}
	s.jobDuration.WithLabelValues(status).Observe(max(job.EndTime.Sub(begin), 0).Seconds())
}

// jobCounts is a collector asking the store for the unfinished jobs at
// scrape time, so every node sharing a store reports the same queue.
type jobCounts struct {
	count   func(ctx context.Context) (queued, running int, err error)
	timeout time.Duration
	queued  *prometheus.Desc
	running *prometheus.Desc
}

func newJobCounts(count func(ctx context.Context) (int, int, error), timeout time.Duration) *jobCounts {
	return &jobCounts{count: count, timeout: timeout,
		queued:  prometheus.NewDesc("imsd_jobs_queued", "Jobs waiting to run (INIT) in the store.", nil, nil),
		running: prometheus.NewDesc("imsd_jobs_running", "Jobs running (RUNNING) in the store, on any node.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *jobCounts) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.queued
	ch <- c.running
}

// Collect implements prometheus.Collector.
func (c *jobCounts) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	queued, running, err := c.count(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.queued, fmt.Errorf("count jobs: %w", err))
		return
	}
	ch <- prometheus.MustNewConstMetric(c.queued, prometheus.GaugeValue, float64(queued))
	ch <- prometheus.MustNewConstMetric(c.running, prometheus.GaugeValue, float64(running))
}

// printlnLogger adapts slog to promhttp.Logger.
type printlnLogger struct{ log *slog.Logger }

// Println implements promhttp.Logger.
func (l printlnLogger) Println(v ...any) {
	l.log.Error("metrics scrape", "err", strings.TrimSpace(fmt.Sprintln(v...)))
}
