package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/ims/v2/model"

	"github.com/imsd/imsd"
	blobs3 "github.com/imsd/imsd/blob/s3"
	"github.com/imsd/imsd/identity"
	"github.com/imsd/imsd/internal/imstest"
	"github.com/imsd/imsd/internal/sdktest"
	"github.com/imsd/imsd/metrics/metricstest"
)

// TestMultiNode runs three imsd processes on loopback ports sharing one
// PostgreSQL schema and one S3 bucket (versitygw, through a proxy that can
// hold or fail requests), all started together on the empty database, and
// checks what running several nodes promises: one account seen and
// accepted (AK/SK and tokens) by every node, requests served by any node,
// each copy job run exactly once by some node, X-Client-Token idempotency
// across nodes, a copy finished by another node after the node running it
// is killed (kill -9) or drained (SIGTERM), readiness tracking the blob
// store, garbage collection on one node beside uploads on the others, and
// a node with another master key refused.
func TestMultiNode(t *testing.T) {
	c := newCluster(t)
	for _, name := range []string{"n1", "n2", "n3"} {
		c.addNode(t, name)
	}
	for _, n := range c.nodes { // together, on an empty database
		c.start(t, n)
	}
	for _, n := range c.nodes {
		c.waitReady(t, n)
	}
	c.readBootstrap(t)
	envs := make([]*sdktest.Env, len(c.nodes))
	for i, n := range c.nodes {
		envs[i] = c.sdk(t, n)
	}
	data := make([]byte, 3<<20+17)
	rand.Read(data)
	src := createImage(t, envs[0], "source")
	uploadTo(t, envs[1], src, data)

	t.Run("EveryNodeAcceptsTheAccount", func(t *testing.T) {
		for i, e := range envs {
			if _, err := e.IMS.ListImages(&model.ListImagesRequest{}); err != nil {
				t.Fatalf("AK/SK on %s: %v", c.nodes[i].name, err)
			}
		}
		token := login(t, c.nodes[0], c.creds)
		for _, n := range c.nodes {
			req, _ := http.NewRequest("GET", n.url()+"/v2/images", nil)
			req.Header.Set("X-Auth-Token", token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("a token from %s on %s: %d", c.nodes[0].name, n.name, resp.StatusCode)
			}
		}
		// An account created by the operator command is usable everywhere.
		cmd := exec.Command(c.bin, append([]string{"account", "create", "--data-dir", t.TempDir(), "--name", "team-b"}, c.baseFlags...)...)
		cmd.Env = c.env()
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("account create: %v %s", err, exitStderr(err))
		}
		var team identity.AccountCredentials
		if err := json.Unmarshal(out, &team); err != nil {
			t.Fatal(err)
		}
		for _, n := range c.nodes {
			e := &sdktest.Env{Endpoint: n.url()}
			list, err := e.Client(t, team.AccessKey, team.SecretKey, team.ProjectID).ListImages(&model.ListImagesRequest{})
			if err != nil || len(*list.Images) != 0 {
				t.Fatalf("the new account on %s: %v", n.name, err)
			}
		}
	})

	t.Run("RequestsSpreadOverNodes", func(t *testing.T) {
		var ids []string
		for i := range 9 {
			ids = append(ids, createImage(t, envs[i%3], fmt.Sprintf("spread-%d", i)))
		}
		for i, e := range envs {
			for _, id := range ids {
				if _, err := e.IMS.GlanceShowImage(&model.GlanceShowImageRequest{ImageId: id}); err != nil {
					t.Fatalf("%s does not see image %s: %v", c.nodes[i].name, id, err)
				}
			}
			resp := e.Do(t, sdktest.Request{Method: "GET", Path: "/v2/images/" + src + "/file"})
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !bytes.Equal(got, data) {
				t.Fatalf("download from %s: %d bytes", c.nodes[i].name, len(got))
			}
		}
		for _, n := range c.nodes {
			f := metricstest.Scrape(t, "http://"+n.metrics+"/metrics")
			if v, ok := f.Value("imsd_node_info", "node", n.name); !ok || v != 1 {
				t.Fatalf("%s: imsd_node_info{node=%q} = %v, %v", n.name, n.name, v, ok)
			}
			if v, _ := f.Value("imsd_http_requests_total", "route", "GlanceCreateImageMetadata", "method", "POST", "code", "201"); v < 3 {
				t.Fatalf("%s served %v image creations, want at least 3", n.name, v)
			}
			if countLines(n.log(t), "node="+n.name) == 0 || strings.Contains(n.log(t), c.creds.SecretKey) {
				t.Fatalf("%s: log lines do not name the node, or show a secret", n.name)
			}
		}
	})

	t.Run("CopiesRunOnceOnAnyNode", func(t *testing.T) {
		var jobs []string
		for i := range 24 {
			r, err := envs[i%3].IMS.CopyImageInRegion(&model.CopyImageInRegionRequest{ImageId: src,
				Body: &model.CopyImageInRegionRequestBody{Name: fmt.Sprintf("copy-%d", i)}})
			if err != nil {
				t.Fatalf("copy %d: %v", i, err)
			}
			jobs = append(jobs, *r.JobId)
		}
		owners := map[string]int{}
		for _, id := range jobs {
			j := waitJobDone(t, c, id, 60*time.Second)
			if j.Status != "SUCCESS" || j.Attempts != 1 {
				t.Fatalf("job %s: %s after %d claims", id, j.Status, j.Attempts)
			}
			owners[c.nodeOf(t, j.Owner).name]++
		}
		if len(owners) < 2 {
			t.Fatalf("every job ran on one node: %v", owners)
		}
		for _, id := range jobs {
			runs := 0
			for _, n := range c.nodes {
				runs += countLines(n.log(t), `msg="job succeeded"`, "job_id="+id)
			}
			if runs != 1 {
				t.Fatalf("job %s ran %d times across the nodes", id, runs)
			}
		}
		t.Logf("jobs per node: %v", owners)
	})

	t.Run("ClientTokenAcrossNodes", func(t *testing.T) {
		const n = 30
		token := "tok-" + imsd.NewHexID()
		ids := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			e := envs[i%3]
			wg.Go(func() {
				req := e.Signed(t, c.creds.AccessKey, c.creds.SecretKey, c.creds.ProjectID, sdktest.Request{Method: "POST",
					Path: "/v1/cloudimages/" + src + "/copy", JSONBody: []byte(`{"name":"once-across-nodes"}`),
					Header: http.Header{"X-Client-Token": {token}}})
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				defer resp.Body.Close()
				var out struct {
					JobID string `json:"job_id"`
				}
				if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&out) != nil {
					t.Errorf("copy via %s: %d", e.Endpoint, resp.StatusCode)
				}
				ids[i] = out.JobID
			})
		}
		wg.Wait()
		for _, id := range ids {
			if id != ids[0] || id == "" {
				t.Fatalf("one client token gave jobs %q and %q", ids[0], id)
			}
		}
		waitJobDone(t, c, ids[0], 60*time.Second)
		list, err := envs[2].IMS.ListImages(&model.ListImagesRequest{Name: ptr("once-across-nodes")})
		if err != nil || len(*list.Images) != 1 {
			t.Fatalf("want exactly one image: %v", err)
		}
	})

	t.Run("KillNodeRunningCopy", func(t *testing.T) {
		digest := imageDigest(t, envs[0], src)
		c.s3Proxy.Hold(digest) // the copy's data check waits in S3
		r, err := envs[0].IMS.CopyImageInRegion(&model.CopyImageInRegionRequest{ImageId: src,
			Body: &model.CopyImageInRegionRequestBody{Name: "survives-kill"}})
		if err != nil {
			t.Fatal(err)
		}
		var j jobRow
		imstest.WaitFor(t, 30*time.Second, "a node to run the copy", func() bool {
			j = c.job(t, *r.JobId)
			return j.Status == "RUNNING" && c.s3Proxy.held.Load() > 0
		})
		victim := c.nodeOf(t, j.Owner)
		_ = victim.stop(t, syscall.SIGKILL)
		killed := time.Now()
		c.s3Proxy.Release()
		done := waitJobDone(t, c, *r.JobId, 60*time.Second)
		took := time.Since(killed)
		if done.Status != "SUCCESS" || c.nodeOf(t, done.Owner) == victim || done.Attempts != 2 {
			t.Fatalf("after kill -9 of %s: %+v", victim.name, done)
		}
		t.Logf("kill -9 of %s: %s finished the copy %v later (lease 3 s, renewed every 1 s, polls every 1 s)",
			victim.name, c.nodeOf(t, done.Owner).name, took.Round(10*time.Millisecond))
		c.start(t, victim)
		c.waitReady(t, victim)
	})

	t.Run("DrainHandsJobBack", func(t *testing.T) {
		digest := imageDigest(t, envs[0], src)
		c.s3Proxy.Hold(digest)
		r, err := envs[1].IMS.CopyImageInRegion(&model.CopyImageInRegionRequest{ImageId: src,
			Body: &model.CopyImageInRegionRequestBody{Name: "survives-drain"}})
		if err != nil {
			t.Fatal(err)
		}
		var j jobRow
		imstest.WaitFor(t, 30*time.Second, "a node to run the copy", func() bool {
			j = c.job(t, *r.JobId)
			return j.Status == "RUNNING" && c.s3Proxy.held.Load() > 0
		})
		victim := c.nodeOf(t, j.Owner)
		if err := victim.stop(t, syscall.SIGTERM); err != nil {
			t.Fatalf("%s exited with %v after SIGTERM", victim.name, err)
		}
		c.s3Proxy.Release()
		done := waitJobDone(t, c, *r.JobId, 60*time.Second)
		// Claimed twice, counted once: the drained node released its claim
		// (JobRelease) instead of letting the lease expire.
		if done.Status != "SUCCESS" || c.nodeOf(t, done.Owner) == victim || done.Attempts != 1 {
			t.Fatalf("after draining %s: %+v", victim.name, done)
		}
		if countLines(victim.log(t), "handed back", "job_id="+*r.JobId) != 1 {
			t.Fatalf("%s's log does not say it handed the job back", victim.name)
		}
		c.start(t, victim)
		c.waitReady(t, victim)
	})

	t.Run("ReadinessFollowsTheBlobStore", func(t *testing.T) {
		c.s3Proxy.SetDown(true)
		defer c.s3Proxy.SetDown(false)
		for _, n := range c.nodes {
			imstest.WaitFor(t, 60*time.Second, n.name+" to report not ready", func() bool {
				status, body := get(t, n.url()+"/readyz")
				return status == http.StatusServiceUnavailable && strings.Contains(body, "blob store unreachable")
			})
			if status, _ := get(t, n.url()+"/healthz"); status != http.StatusOK {
				t.Fatalf("%s is not live while S3 is down: %d", n.name, status)
			}
		}
		c.s3Proxy.SetDown(false)
		for _, n := range c.nodes {
			c.waitReady(t, n)
		}
	})

	t.Run("GCBesideUploads", func(t *testing.T) {
		// n3 collects every 20 ms with a grace of 1 ms while n1 and n2
		// upload, including content whose image was just deleted (a
		// deduplicated commit of an unreferenced blob).
		gcNode := c.nodes[2]
		_ = gcNode.stop(t, syscall.SIGTERM)
		c.start(t, gcNode, "--gc-interval", "20ms", "--gc-grace", "1ms")
		c.waitReady(t, gcNode)
		// A stray blob no image references proves the collector runs.
		stray := putStrayBlob(t, c)
		rounds := 0
		for deadline := time.Now().Add(4 * time.Second); time.Now().Before(deadline) || rounds < 6; rounds++ {
			e := envs[rounds%2]
			content := make([]byte, 64<<10)
			rand.Read(content)
			first := createImage(t, e, fmt.Sprintf("gc-a-%d", rounds))
			uploadTo(t, e, first, content)
			if _, err := e.IMS.GlanceDeleteImage(&model.GlanceDeleteImageRequest{ImageId: first}); err != nil {
				t.Fatal(err)
			}
			second := createImage(t, envs[(rounds+1)%2], fmt.Sprintf("gc-b-%d", rounds))
			uploadTo(t, envs[(rounds+1)%2], second, content)
			for _, ev := range envs {
				resp := ev.Do(t, sdktest.Request{Method: "GET", Path: "/v2/images/" + second + "/file"})
				got, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || !bytes.Equal(got, content) {
					t.Fatalf("round %d: the re-uploaded image downloads %d bytes (status %d) from %s", rounds, len(got), resp.StatusCode, ev.Endpoint)
				}
			}
		}
		imstest.WaitFor(t, 30*time.Second, "GC on n3 to delete the stray blob", func() bool {
			return countLines(gcNode.log(t), "gc: deleted unreferenced blob", stray) > 0
		})
		runs := countLines(gcNode.log(t), `msg="gc done"`)
		t.Logf("%d upload rounds beside %d collections on %s", rounds, runs, gcNode.name)
	})

	t.Run("NodeWithAnotherKeyRefuses", func(t *testing.T) {
		dir := t.TempDir()
		args := append([]string{"--node-name", "stranger", "--data-dir", dir, "--listen", freePort(t)}, c.baseFlags...)
		for i, a := range args {
			if a == "--master-key-file" {
				args[i+1] = filepath.Join(dir, "other.key")
			}
		}
		cmd := exec.Command(c.bin, args...)
		cmd.Env = c.env()
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "not the key this database was set up with") {
			t.Fatalf("a node with another master key: %v\n%s", err, out)
		}
	})
}

// createImage creates an image's metadata through e.
func createImage(t *testing.T, e *sdktest.Env, name string) string {
	t.Helper()
	r, err := e.IMS.GlanceCreateImageMetadata(&model.GlanceCreateImageMetadataRequest{
		Body: &model.GlanceCreateImageMetadataRequestBody{Name: &name}})
	if err != nil {
		t.Fatalf("create %s via %s: %v", name, e.Endpoint, err)
	}
	return *r.Id
}

// uploadTo uploads data to image id through e.
func uploadTo(t *testing.T, e *sdktest.Env, id string, data []byte) {
	t.Helper()
	resp := e.Do(t, sdktest.Request{Method: "PUT", Path: "/v2/images/" + id + "/file",
		ContentType: "application/octet-stream", Body: bytes.NewReader(data)})
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("upload via %s: %d %s", e.Endpoint, resp.StatusCode, b)
	}
}

// imageDigest returns the SHA-256 of an image's data (os_hash_value).
func imageDigest(t *testing.T, e *sdktest.Env, id string) string {
	t.Helper()
	resp := e.Do(t, sdktest.Request{Method: "GET", Path: "/v2/images/" + id})
	defer resp.Body.Close()
	var img struct {
		Hash string `json:"os_hash_value"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&img); err != nil || len(img.Hash) != 64 {
		t.Fatalf("image %s: no digest (%v)", id, err)
	}
	return img.Hash
}

// login gets a token for the account's root user from node n.
func login(t *testing.T, n *node, cr identity.AccountCredentials) string {
	t.Helper()
	body := fmt.Sprintf(`{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":%q,"password":%q,"domain":{"name":%q}}}},
		"scope":{"project":{"name":%q,"domain":{"name":%q}}}}}`, cr.UserName, cr.Password, cr.DomainName, cr.ProjectName, cr.DomainName)
	resp, err := http.Post(n.url()+"/v3/auth/tokens", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || resp.Header.Get("X-Subject-Token") == "" {
		t.Fatalf("login on %s: %d", n.name, resp.StatusCode)
	}
	return resp.Header.Get("X-Subject-Token")
}

// get returns the status and body of a plain GET.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// putStrayBlob writes a blob into the cluster's bucket behind imsd's back:
// no image references it and no commit pinned it.
func putStrayBlob(t *testing.T, c *cluster) string {
	t.Helper()
	st, err := blobs3.New(t.Context(), blobs3.Config{Endpoint: c.s3.Endpoint, Region: c.s3.Region,
		AccessKey: c.s3.AccessKey, SecretKey: c.s3.SecretKey, Bucket: c.bucket})
	if err != nil {
		t.Fatal(err)
	}
	w, err := st.Create(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	stray := make([]byte, 1000)
	rand.Read(stray)
	if _, err := w.Write(stray); err != nil {
		t.Fatal(err)
	}
	info, err := w.Commit(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	return info.Digest
}

// exitStderr returns the standard error of a failed exec.
func exitStderr(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}
