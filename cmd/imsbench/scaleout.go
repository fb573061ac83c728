package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/app"
	"github.com/imsd/imsd/identity"
)

// The scale-out benchmarks (-mode scaleout):
//
//  1. small signed GETs (GET /v2/images/{id}) and small uploads (create +
//     PUT of 64 KiB) from concurrent clients against 1 node and then 3
//     nodes, all imsd processes on this machine sharing PostgreSQL and S3;
//     the figure is the 3-node/1-node throughput ratio.
//  2. listing with 100k images in the project, on SQLite and on
//     PostgreSQL: p50/p99 of a 100-image page at a random marker, and the
//     walk of all images in 1000-image pages; the figure is the
//     PostgreSQL/SQLite ratio.
//
//	go build -o /tmp/imsd ./cmd/imsd
//	IMSD_TEST_S3_ENDPOINT=http://127.0.0.1:7070 IMSD_TEST_S3_ACCESS_KEY=... IMSD_TEST_S3_SECRET_KEY=... \
//	  go run ./cmd/imsbench -mode scaleout -imsd /tmp/imsd

type scaleoutFlags struct {
	pgURL, s3Endpoint, s3AccessKey, s3SecretKey string
	duration                                    time.Duration
	clients, listImages, listSamples            int
	listOnly                                    bool
}

func (f *scaleoutFlags) register() {
	flag.StringVar(&f.pgURL, "postgres-url", envOr("IMSD_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"), "PostgreSQL for the scale-out runs (a fresh schema each, dropped afterwards)")
	flag.StringVar(&f.s3Endpoint, "s3-endpoint", os.Getenv("IMSD_TEST_S3_ENDPOINT"), "S3 server for the scale-out runs (a fresh bucket each)")
	flag.StringVar(&f.s3AccessKey, "s3-access-key", os.Getenv("IMSD_TEST_S3_ACCESS_KEY"), "S3 access key")
	f.s3SecretKey = os.Getenv("IMSD_TEST_S3_SECRET_KEY")
	flag.DurationVar(&f.duration, "duration", 8*time.Second, "length of each throughput measurement")
	flag.IntVar(&f.clients, "clients", 16, "concurrent clients of the throughput measurements")
	flag.IntVar(&f.listImages, "list-images", 100_000, "images in the project for the listing measurement")
	flag.IntVar(&f.listSamples, "list-samples", 300, "page requests timed for the listing percentiles")
	flag.BoolVar(&f.listOnly, "list-only", false, "run only the listing measurement")
}

func runScaleout(f scaleoutFlags, bin, work string) {
	if bin == "" || f.s3Endpoint == "" || f.s3AccessKey == "" || f.s3SecretKey == "" {
		log.Fatal("-mode scaleout needs -imsd BINARY and an S3 server (IMSD_TEST_S3_ENDPOINT, IMSD_TEST_S3_ACCESS_KEY, IMSD_TEST_S3_SECRET_KEY)")
	}
	http.DefaultTransport.(*http.Transport).MaxIdleConnsPerHost = 256
	fmt.Printf("imsbench scaleout %s, GOMAXPROCS=%d, %s, %d clients, %v per measurement\n",
		time.Now().UTC().Format(time.RFC3339), runtime.GOMAXPROCS(0), runtime.Version(), f.clients, f.duration)

	type result struct{ gets, uploads float64 }
	res := map[int]result{}
	for _, n := range []int{1, 3} {
		if f.listOnly {
			break
		}
		c := startCluster(f, bin, filepath.Join(work, fmt.Sprintf("nodes-%d", n)), n)
		id := c.clients[0].createImage("bench-get")
		c.clients[0].uploadBytes(id, randomBytes(4096))
		gets := c.throughput(f, func(cl *client) { cl.get("/v2/images/" + id) })
		body := randomBytes(64 << 10)
		uploads := c.throughput(f, func(cl *client) { cl.uploadBytes(cl.createImage("bench-up"), body) })
		c.stop()
		res[n] = result{gets, uploads}
		fmt.Printf("%d node(s): small signed GETs %.0f/s | 64 KiB uploads %.1f/s\n", n, gets, uploads)
	}
	if !f.listOnly {
		fmt.Printf("3 nodes / 1 node: GETs %.2fx | uploads %.2fx\n", res[3].gets/res[1].gets, res[3].uploads/res[1].uploads)
	}

	sq := listBench(f, "sqlite", filepath.Join(work, "list-sqlite"), "")
	schema, drop := pgSchema(f.pgURL)
	defer drop()
	pg := listBench(f, "postgres", filepath.Join(work, "list-postgres"), schema)
	fmt.Printf("PostgreSQL / SQLite: page p50 %.2fx | page p99 %.2fx | walk %.2fx\n",
		pg.p50.Seconds()/sq.p50.Seconds(), pg.p99.Seconds()/sq.p99.Seconds(), pg.walk.Seconds()/sq.walk.Seconds())
}

// benchCluster is n imsd processes sharing a fresh schema and bucket.
type benchCluster struct {
	cmds    []*exec.Cmd
	clients []*client
	drop    func()
}

func startCluster(f scaleoutFlags, bin, dir string, n int) *benchCluster {
	pgURL, drop := pgSchema(f.pgURL)
	c := &benchCluster{drop: drop}
	bucket := "imsbench-" + imsd.NewHexID()[:12]
	key := filepath.Join(dir, "master.key")
	var endpoints []string
	for i := range n {
		addr := freeAddr()
		nodeDir := filepath.Join(dir, fmt.Sprintf("n%d", i+1))
		cmd := exec.Command(bin, "--node-name", fmt.Sprintf("n%d", i+1), "--data-dir", nodeDir, "--listen", addr,
			"--postgres-url", pgURL, "--s3-endpoint", f.s3Endpoint, "--s3-bucket", bucket, "--s3-access-key", f.s3AccessKey,
			"--master-key-file", key, "--log-level", "warn", "--gc-interval", "1h", "--image-quota", "1000000")
		cmd.Env = append(os.Environ(), "IMSD_S3_SECRET_KEY="+f.s3SecretKey)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			log.Fatal(err)
		}
		c.cmds = append(c.cmds, cmd)
		endpoints = append(endpoints, "http://"+addr)
	}
	for _, e := range endpoints {
		waitReady(e + "/readyz")
	}
	var creds identity.AccountCredentials
	for i := range n {
		if b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("n%d", i+1), "bootstrap.json")); err == nil {
			_ = json.Unmarshal(b, &creds)
		}
	}
	for _, e := range endpoints {
		c.clients = append(c.clients, &client{endpoint: e, creds: creds})
	}
	return c
}

func (c *benchCluster) stop() {
	for _, cmd := range c.cmds {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	c.drop()
}

// throughput runs op from f.clients goroutines, spread over the nodes
// round-robin, for f.duration, and returns operations per second.
func (c *benchCluster) throughput(f scaleoutFlags, op func(*client)) float64 {
	var n atomic.Int64
	deadline := time.Now().Add(f.duration)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range f.clients {
		cl := c.clients[i%len(c.clients)]
		wg.Go(func() {
			for time.Now().Before(deadline) {
				op(cl)
				n.Add(1)
			}
		})
	}
	wg.Wait()
	return float64(n.Load()) / time.Since(start).Seconds()
}

func (c *client) get(path string) {
	resp, err := c.do("GET", path, "application/json", nil, 0)
	if err != nil {
		log.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		log.Fatalf("GET %s: %d", path, resp.StatusCode)
	}
}

func (c *client) createImage(name string) string {
	var img struct {
		ID string `json:"id"`
	}
	if err := c.json("POST", "/v2/images", map[string]string{"name": name}, &img); err != nil {
		log.Fatal(err)
	}
	return img.ID
}

func (c *client) uploadBytes(id string, data []byte) {
	resp, err := c.do("PUT", "/v2/images/"+id+"/file", "application/octet-stream", bytes.NewReader(data), int64(len(data)))
	if err != nil {
		log.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		log.Fatalf("upload: %d", resp.StatusCode)
	}
}

type listResult struct{ p50, p99, walk time.Duration }

// listBench runs an in-process server on SQLite (schema "") or on the
// PostgreSQL schema, fills the bootstrap project with f.listImages images
// cloned from one created through the API, and times listing.
func listBench(f scaleoutFlags, backend, dir, pgURL string) listResult {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := app.DefaultConfig()
	cfg.DataDir, cfg.Listen, cfg.PostgresURL = dir, "127.0.0.1:0", pgURL
	cfg.GCInterval = time.Hour
	a, err := app.Open(ctx, cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer a.Close()
	if _, err := a.Listen(); err != nil {
		log.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = a.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	waitReady(a.Endpoint() + "/readyz")
	var c client
	c.endpoint = a.Endpoint()
	b, _ := os.ReadFile(filepath.Join(dir, "bootstrap.json"))
	_ = json.Unmarshal(b, &c.creds)
	tmpl, err := a.Store.ImageGet(ctx, c.createImage("template"))
	if err != nil {
		log.Fatal(err)
	}
	start := time.Now()
	ids := make([]string, 0, f.listImages)
	base := time.Now().UTC().Add(-time.Duration(f.listImages) * time.Millisecond)
	for len(ids) < f.listImages {
		err := a.Store.InTx(ctx, func(q imsd.Queries) error {
			for i := 0; i < 2000 && len(ids) < f.listImages; i++ {
				img := *tmpl
				img.ID = uuid.NewString()
				img.Name = fmt.Sprintf("img-%06d", len(ids))
				img.CreatedAt = base.Add(time.Duration(len(ids)) * time.Millisecond)
				img.UpdatedAt = img.CreatedAt
				img.Properties = map[string]string{}
				for k, v := range tmpl.Properties {
					img.Properties[k] = v
				}
				if err := q.ImageInsert(ctx, &img); err != nil {
					return err
				}
				ids = append(ids, img.ID)
			}
			return nil
		})
		if err != nil {
			log.Fatal(err)
		}
	}
	fill := time.Since(start)
	if pgURL != "" {
		// Statistics of the steady state, which autovacuum gathers within
		// a minute of such a load; without them the planner still sees an
		// empty table and sorts instead of walking the index.
		db, err := sql.Open("pgx", pgURL)
		if err != nil {
			log.Fatal(err)
		}
		if _, err := db.Exec("ANALYZE images"); err != nil {
			log.Fatal(err)
		}
		db.Close()
	}
	c.get("/v2/cloudimages?limit=100") // warm up
	lat := make([]time.Duration, f.listSamples)
	for i := range lat {
		marker := ids[mrand.IntN(len(ids))]
		t0 := time.Now()
		c.get("/v2/cloudimages?limit=100&marker=" + marker)
		lat[i] = time.Since(t0)
	}
	slices.Sort(lat)
	t0 := time.Now()
	pages, marker := 0, ""
	for {
		path := "/v2/images?limit=1000"
		if marker != "" {
			path += "&marker=" + marker
		}
		var page struct {
			Images []struct {
				ID string `json:"id"`
			} `json:"images"`
			Next string `json:"next"`
		}
		if err := c.json("GET", path, nil, &page); err != nil {
			log.Fatal(err)
		}
		pages++
		if page.Next == "" || len(page.Images) == 0 {
			break
		}
		marker = page.Images[len(page.Images)-1].ID
	}
	r := listResult{p50: lat[len(lat)/2], p99: lat[len(lat)*99/100], walk: time.Since(t0)}
	fmt.Printf("list %s, %d images (filled in %.1f s): page of 100 at a random marker p50 %.1f ms, p99 %.1f ms | walk in %d pages of 1000: %.2f s\n",
		backend, len(ids)+1, fill.Seconds(), ms(r.p50), ms(r.p99), pages, r.walk.Seconds())
	return r
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// pgSchema creates a fresh schema and returns a URL selecting it and a
// function dropping it.
func pgSchema(base string) (string, func()) {
	db, err := sql.Open("pgx", base)
	if err != nil {
		log.Fatal(err)
	}
	schema := "imsbench_" + imsd.NewHexID()[:12]
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		log.Fatalf("PostgreSQL at %s: %v", base, err)
	}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema, func() {
		_, _ = db.Exec("DROP SCHEMA " + schema + " CASCADE")
		db.Close()
	}
}

func waitReady(url string) {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	log.Fatalf("%s not ready within 60 s", url)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}
