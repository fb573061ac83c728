package main

// -mode load: one imsd process (the embedded default: SQLite and local
// files) under a mixed load, and signed GETs against the same server's
// /healthz in the same run.
//
//  1. Throughput of small signed GETs (GET /v2/images/{id}, AK/SK) and of
//     GET /healthz (no authentication, no store) from -load-clients
//     clients, -load-phase each; the ratio says what signing, the store and
//     the JSON view cost. The requests are signed once and replayed (a
//     signature is valid for 15 minutes), so the measurement is of the
//     server, not of the client's HMAC.
//  2. A mixed load for -load-duration: each client loops over list, show,
//     download, upload, copy, tag and delete (weights below), recording
//     every latency and every unexpected answer; the server's RSS is
//     sampled every second.
//
//	go build -o /tmp/imsd ./cmd/imsd
//	go run ./cmd/imsbench -mode load -imsd /tmp/imsd -load-clients 50 -load-duration 3m

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/imsd/imsd/identity"
)

type loadFlags struct {
	clients       int
	duration      time.Duration
	phase         time.Duration
	seedImages    int
	objectSize    int
	sampleEvery   time.Duration
	signedClients int
}

func (f *loadFlags) register() {
	flag.IntVar(&f.clients, "load-clients", 50, "-mode load: concurrent clients of the mixed load")
	flag.DurationVar(&f.duration, "load-duration", 2*time.Minute, "-mode load: length of the mixed load")
	flag.DurationVar(&f.phase, "load-phase", 10*time.Second, "-mode load: length of each GET throughput measurement")
	flag.IntVar(&f.signedClients, "load-get-clients", 16, "-mode load: concurrent clients of the GET throughput measurements")
	flag.IntVar(&f.seedImages, "load-images", 50, "-mode load: images created before the load")
	flag.IntVar(&f.objectSize, "load-object", 256<<10, "-mode load: bytes of each uploaded and downloaded image")
	flag.DurationVar(&f.sampleEvery, "load-rss-every", time.Second, "-mode load: RSS sampling interval")
}

// loadOps are the operations of the mixed load and their weights.
var loadOps = []struct {
	name   string
	weight int
}{
	{"list", 25}, {"show", 25}, {"download", 15}, {"upload", 10}, {"copy", 5}, {"tag", 10}, {"delete", 10},
}

func runLoad(f loadFlags, bin, work string) {
	if bin == "" {
		log.Fatal("-mode load needs -imsd BINARY (the server's RSS is measured alone)")
	}
	tr := http.DefaultTransport.(*http.Transport)
	tr.MaxIdleConnsPerHost, tr.MaxIdleConns = 512, 512
	addr := freeAddr()
	dataDir := filepath.Join(work, "data")
	cmd := exec.Command(bin, "--data-dir", dataDir, "--listen", addr, "--log-level", "warn",
		"--image-quota", "1000000", "--jobs-per-project", "4")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	endpoint := "http://" + addr
	waitReady(endpoint + "/readyz")
	var creds identity.AccountCredentials
	b, err := os.ReadFile(filepath.Join(dataDir, "bootstrap.json"))
	if err != nil || json.Unmarshal(b, &creds) != nil {
		log.Fatalf("bootstrap.json: %v", err)
	}
	c := &client{endpoint: endpoint, creds: creds}
	fmt.Printf("imsbench load %s, GOMAXPROCS=%d, %s, server %s\n", time.Now().UTC().Format(time.RFC3339),
		runtime.GOMAXPROCS(0), runtime.Version(), bin)

	body := randomBytes(f.objectSize)
	var seeded []string
	for i := range f.seedImages {
		id := c.createImage(fmt.Sprintf("seed-%d", i))
		c.uploadBytes(id, body)
		seeded = append(seeded, id)
	}

	// 1. Signed GETs against /healthz.
	signed := presign(c, "GET", "/v2/images/"+seeded[0])
	health, _ := http.NewRequest("GET", endpoint+"/healthz", nil)
	hz := replayThroughput(health, f.signedClients, f.phase)
	sg := replayThroughput(signed, f.signedClients, f.phase)
	fmt.Printf("GET /healthz %.0f req/s | signed GET /v2/images/{id} %.0f req/s | signed/healthz %.2fx (%d clients, %v each)\n",
		hz, sg, sg/hz, f.signedClients, f.phase)

	// 2. The mixed load.
	rss := newRSSSampler(cmd.Process.Pid, f.sampleEvery)
	res := mixedLoad(c, f, seeded, body)
	samples := rss.stop()
	fmt.Printf("mixed load: %d clients for %v: %d operations, %.0f op/s, %d errors\n",
		f.clients, f.duration, res.total, float64(res.total)/f.duration.Seconds(), res.errors)
	t := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(t, "OP\tCOUNT\tOP/S\tP50 MS\tP99 MS\tERRORS")
	for _, op := range loadOps {
		lat := res.latency[op.name]
		slices.Sort(lat)
		fmt.Fprintf(t, "%s\t%d\t%.1f\t%.1f\t%.1f\t%d\n", op.name, len(lat), float64(len(lat))/f.duration.Seconds(),
			ms(pct(lat, 0.50)), ms(pct(lat, 0.99)), res.opErrors[op.name])
	}
	_ = t.Flush()
	if len(samples) > 0 {
		var parts []string
		step := max(1, len(samples)/12)
		for i := 0; i < len(samples); i += step {
			parts = append(parts, fmt.Sprintf("%ds:%dMiB", int(samples[i].at.Seconds()), samples[i].kib>>10))
		}
		lo, hi := samples[0].kib, samples[0].kib
		for _, s := range samples {
			lo, hi = min(lo, s.kib), max(hi, s.kib)
		}
		last := samples[len(samples)-1].kib
		fmt.Printf("server RSS over time: %s\n", strings.Join(parts, " "))
		fmt.Printf("server RSS min %d MiB, max %d MiB, last %d MiB; last/first-minute-peak %.2fx\n",
			lo>>10, hi>>10, last>>10, float64(last)/float64(firstMinutePeak(samples)))
	}
	for _, e := range res.samples {
		fmt.Println("error sample:", e)
	}
}

// presign signs a request once, for replaying.
func presign(c *client, method, path string) *http.Request {
	resp, err := c.do(method, path, "application/json", nil, 0) // proves it works
	if err != nil || resp.StatusCode != http.StatusOK {
		log.Fatalf("presign %s: %v %v", path, err, resp)
	}
	resp.Body.Close()
	req := resp.Request
	out, _ := http.NewRequest(method, req.URL.String(), nil)
	out.Header = req.Header.Clone()
	return out
}

// replayThroughput sends copies of req from n clients for d and returns
// answers per second (every answer must be 200).
func replayThroughput(req *http.Request, n int, d time.Duration) float64 {
	var count, bad atomic.Int64
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				resp, err := http.DefaultClient.Do(req.Clone(req.Context()))
				if err != nil {
					bad.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					bad.Add(1)
				}
				count.Add(1)
			}
		})
	}
	wg.Wait()
	if b := bad.Load(); b > 0 {
		log.Printf("%s: %d failed answers", req.URL.Path, b)
	}
	return float64(count.Load()) / time.Since(start).Seconds()
}

type loadResult struct {
	mu       sync.Mutex
	latency  map[string][]time.Duration
	opErrors map[string]int
	total    int
	errors   int
	samples  []string
}

func (r *loadResult) add(op string, d time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.total++
	r.latency[op] = append(r.latency[op], d)
	if err != nil {
		r.errors++
		r.opErrors[op]++
		if len(r.samples) < 5 {
			r.samples = append(r.samples, op+": "+err.Error())
		}
	}
}

// mixedLoad runs the weighted operations from f.clients clients.
func mixedLoad(c *client, f loadFlags, seeded []string, body []byte) *loadResult {
	res := &loadResult{latency: map[string][]time.Duration{}, opErrors: map[string]int{}}
	total := 0
	for _, op := range loadOps {
		total += op.weight
	}
	deadline := time.Now().Add(f.duration)
	var wg sync.WaitGroup
	for i := range f.clients {
		rng := rand.New(rand.NewPCG(uint64(i), 42))
		wg.Go(func() {
			var mine []string // images this client uploaded or copied, to delete
			for time.Now().Before(deadline) {
				pick := rng.IntN(total)
				op := loadOps[0].name
				for _, o := range loadOps {
					if pick < o.weight {
						op = o.name
						break
					}
					pick -= o.weight
				}
				id := seeded[rng.IntN(len(seeded))]
				start := time.Now()
				var err error
				switch op {
				case "list":
					err = expect(c, "GET", "/v2/cloudimages?limit=20", nil, 200)
				case "show":
					err = expect(c, "GET", "/v2/images/"+id, nil, 200)
				case "download":
					err = expect(c, "GET", "/v2/images/"+id+"/file", nil, 200)
				case "upload":
					var img struct{ ID string }
					if err = c.json("POST", "/v2/images", map[string]string{"name": "load-up"}, &img); err == nil {
						err = expectUpload(c, img.ID, body)
						mine = append(mine, img.ID)
					}
				case "copy":
					var job struct {
						JobID string `json:"job_id"`
					}
					err = c.json("POST", "/v1/cloudimages/"+id+"/copy", map[string]string{"name": "load-copy"}, &job)
				case "tag":
					err = expect(c, "POST", "/v2/"+c.creds.ProjectID+"/images/"+id+"/tags",
						map[string]any{"tag": map[string]string{"key": fmt.Sprintf("k%d", rng.IntN(20)), "value": "v"}}, 204)
				case "delete":
					if len(mine) == 0 {
						continue
					}
					victim := mine[len(mine)-1]
					mine = mine[:len(mine)-1]
					err = expect(c, "DELETE", "/v2/images/"+victim, nil, 204)
				}
				res.add(op, time.Since(start), err)
			}
		})
	}
	wg.Wait()
	return res
}

func expect(c *client, method, path string, in any, status int) error {
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	resp, err := c.do(method, path, "application/json", body, 0)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != status {
		return fmt.Errorf("%s %s: %d", method, path, resp.StatusCode)
	}
	return nil
}

func expectUpload(c *client, id string, body []byte) error {
	resp, err := c.do("PUT", "/v2/images/"+id+"/file", "application/octet-stream", bytes.NewReader(body), int64(len(body)))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("upload: %d %s", resp.StatusCode, b)
	}
	return nil
}

func pct(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(float64(len(sorted))*p))]
}

type rssSample struct {
	at  time.Duration
	kib int64
}

type rssSampler struct {
	done    chan struct{}
	samples []rssSample
	wg      sync.WaitGroup
}

func newRSSSampler(pid int, every time.Duration) *rssSampler {
	s := &rssSampler{done: make(chan struct{})}
	start := time.Now()
	s.wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-s.done:
				return
			case <-t.C:
				if kib := rssKiB(pid); kib > 0 {
					s.samples = append(s.samples, rssSample{at: time.Since(start), kib: kib})
				}
			}
		}
	})
	return s
}

func (s *rssSampler) stop() []rssSample {
	close(s.done)
	s.wg.Wait()
	return s.samples
}

// rssKiB reads VmRSS of a process.
func rssKiB(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kib int64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), &kib)
			return kib
		}
	}
	return 0
}

// firstMinutePeak is the largest RSS of the first minute (the warmed-up
// level the rest of the run is compared with).
func firstMinutePeak(s []rssSample) int64 {
	var peak int64
	for _, x := range s {
		if x.at <= time.Minute {
			peak = max(peak, x.kib)
		}
	}
	if peak == 0 {
		peak = s[0].kib
	}
	return peak
}
