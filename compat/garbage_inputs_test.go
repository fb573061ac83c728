package compat

// The malformed inputs of TestNoRouteAnswers5xxToGarbage: bodies, patch
// documents, queries and ids, and the field-by-field breaking of templates.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
)

// garbageInput is one malformed request sent to a route.
type garbageInput struct {
	name   string
	params map[string]string // path parameters that replace the real ones
	query  url.Values
	header http.Header
	// body is sent as a JSON body when hasBody; contentType overrides the
	// JSON content type.
	body        []byte
	hasBody     bool
	contentType string
}

// garbageTemplates are well-formed bodies of the routes that read one; the
// test breaks them field by field. {img}, {uid}, {did}, {pid} and {region}
// are filled with the fixtures.
var garbageTemplates = map[string]string{
	"GlanceCreateImageMetadata": `{"name":"g","disk_format":"raw","container_format":"bare","min_disk":1,"min_ram":0,"protected":false,` +
		`"visibility":"private","tags":["a"],"__os_version":"CentOS 7.9 64bit","__description":"d","enterprise_project_id":"0","custom":"v"}`,
	"GlanceUpdateImage":                 `[{"op":"replace","path":"/name","value":"renamed"}]`,
	"UpdateImage":                       `[{"op":"replace","path":"/name","value":"renamed"}]`,
	"AddImageTag":                       `{"tag":{"key":"k2","value":"v2"}}`,
	"BatchAddOrDeleteTags":              `{"action":"create","tags":[{"key":"k3","value":"v3"}]}`,
	"ListImageByTags":                   `{"action":"filter","tags":[{"key":"k1","values":["v1"]}],"limit":"10","offset":"0","without_any_tag":false,"matches":[{"key":"resource_name","value":"g"}]}`,
	"BatchDeleteTags":                   `{"tags":[{"key":"k3","value":"v3"}]}`,
	"CreateOrUpdateTags":                `{"image_id":"{img}","tag":"k4=v4","image_tag":{"key":"k4","value":"v4"}}`,
	"CopyImageInRegion":                 `{"name":"c","description":"d","cmk_id":"","enterprise_project_id":"0"}`,
	"CopyImageInRegionInSafeMode":       `{"name":"c","description":"d","cmk_id":"","enterprise_project_id":"0"}`,
	"KeystoneCreateUserTokenByPassword": `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"garbage-user","password":"Garbage-pass-1","domain":{"id":"{did}"}}}},"scope":{"project":{"id":"{pid}"}}}}`,
	"KeystoneCreateProject":             `{"project":{"name":"{region}_garbage","parent_id":"{pid}","domain_id":"{did}","description":"d"}}`,
	"KeystoneCreateUser":                `{"user":{"name":"u2","domain_id":"{did}","password":"Garbage-pass-2","enabled":true,"description":"d","email":"a@b.c"}}`,
	"CreateUser":                        `{"user":{"name":"u3","domain_id":"{did}","password":"Garbage-pass-3","enabled":true,"description":"d","email":"a@b.c"}}`,
	"KeystoneUpdateUserByAdmin":         `{"user":{"domain_id":"{did}","name":"garbage-user","enabled":true,"description":"d","email":"a@b.c"}}`,
	"KeystoneUpdateUserPassword":        `{"user":{"password":"Garbage-pass-9","original_password":"Garbage-pass-1"}}`,
	"KeystoneCreateGroup":               `{"group":{"name":"g2","description":"d","domain_id":"{did}"}}`,
	"KeystoneUpdateGroup":               `{"group":{"name":"garbage-group","description":"d","domain_id":"{did}"}}`,
	"CreatePermanentAccessKey":          `{"credential":{"user_id":"{uid}","description":"d"}}`,
	"UpdatePermanentAccessKey":          `{"credential":{"status":"active","description":"d"}}`,
	"CreateCloudServiceCustomPolicy": `{"role":{"display_name":"p2","type":"XA","description":"d","policy":{"Version":"1.1",` +
		`"Statement":[{"Effect":"Allow","Action":["ims:images:list"],"Condition":{"StringEquals":{"g:UserName":["x"]}},"Resource":["IMS:*:*:image:*"]}]}}}`,
	"UpdateCloudServiceCustomPolicy": `{"role":{"display_name":"garbage-policy","type":"XA","description":"d","policy":{"Version":"1.1",` +
		`"Statement":[{"Effect":"Allow","Action":["ims:images:list"],"Condition":{"StringEquals":{"g:UserName":["x"]}},"Resource":["IMS:*:*:image:*"]}]}}}`,
	"CreateEnterpriseProject":        `{"name":"ep2","description":"d","type":"prod"}`,
	"UpdateEnterpriseProject":        `{"name":"garbage-ep","description":"d","type":"prod"}`,
	"EnableDisableEnterpriseProject": `{"action":"enable"}`,
	"MigrateResource":                `{"resource_id":"{img}","resource_type":"images","region_id":"{region}","project_id":"{pid}","associated":false}`,
	"BatchAddMembers":                `{"images":["{img}"],"projects":["{mid}"]}`,
	"BatchUpdateMembers":             `{"images":["{img}"],"project_id":"{pid}","status":"accepted","vault_id":""}`,
	"BatchDeleteMembers":             `{"images":["{img}"],"projects":["{mid}"]}`,
	"GlanceAddImageMember":           `{"member":"{mid}"}`,
	"GlanceUpdateImageMember":        `{"status":"accepted"}`,
	"CreateImage": `{"name":"i","image_url":"bucket:dir/disk.qcow2","min_disk":40,"os_version":"CentOS 7.9 64bit","type":"ECS",` +
		`"architecture":"x86","hw_firmware_type":"bios","min_ram":0,"max_ram":0,"description":"d","enterprise_project_id":"0","tags":["k.v"]}`,
	"CreateImageInSafeMode":      `{"name":"i","image_url":"bucket:dir/disk.qcow2","min_disk":40}`,
	"CreateDataImage":            `{"name":"d","image_url":"bucket:dir/data.raw","min_disk":40,"os_type":"Linux","image_tags":[{"key":"k","value":"v"}]}`,
	"CreateDataImageInSafeMode":  `{"name":"d","image_url":"bucket:dir/data.raw","min_disk":40}`,
	"ImportImageQuick":           `{"name":"q","os_version":"CentOS 7.9 64bit","image_url":"bucket:dir/disk.zvhd2","min_disk":40,"type":"ECS"}`,
	"ImportImageQuickInSafeMode": `{"name":"q","os_version":"CentOS 7.9 64bit","image_url":"bucket:dir/disk.zvhd2","min_disk":40}`,
	"RegisterImage":              `{"image_url":"bucket:dir/disk.qcow2"}`,
	"ExportImage":                `{"bucket_url":"bucket:exports/disk.raw","file_format":"qcow2","is_quick_export":false}`,
	"ExportImageInSafeMode":      `{"bucket_url":"bucket:exports/disk.raw","is_quick_export":true}`,
	"GlanceImportImage":          `{"method":{"name":"web-download","uri":"http://127.0.0.1:1/disk.img"},"stores":["default"],"all_stores":false}`,
	"GlanceCreateTask":           `{"type":"import","input":{"import_from":"http://127.0.0.1:1/disk.img","import_from_format":"qcow2","image_properties":{"name":"t","disk_format":"qcow2","container_format":"bare"}}}`,
}

// garbageExtraBodies are well-formed bodies with values a route must refuse
// (or may accept): limits at the edge of int64, unknown enums, ids of the
// wrong kind. Placeholders as in garbageTemplates; {ep} is the fixture
// enterprise project.
var garbageExtraBodies = map[string][]string{
	"GlanceCreateImageMetadata": {
		`{"name":"g","min_disk":9223372036854775807,"min_ram":9223372036854775807}`,
		`{"name":"g","min_disk":9223372036854775808}`,
		`{"name":"g","min_ram":-9223372036854775808}`,
		`{"name":"g","min_disk":1.5}`,
		`{"name":"g","disk_format":"nope","container_format":"nope","visibility":"galaxy"}`,
		`{"name":"g","visibility":"public"}`,
		`{"name":"g","tags":["` + strings.Repeat(`x","`, 100) + `y"]}`,
		`{"name":"g","tags":["a=b","=","a=","=b","",",","` + strings.Repeat("t", 300) + `"]}`,
		`{"name":"g","tags":[null]}`,
		`{"name":"` + strings.Repeat("n", 1000) + `"}`,
		`{"name":""}`,
		`{"name":"g","enterprise_project_id":"nope"}`,
		`{"name":"g","enterprise_project_id":"{ep}"}`,
		`{"name":"g","__os_version":"nope"}`,
		`{"name":"g","id":"` + strings.Repeat("i", 300) + `"}`,
		`{"name":"g","id":"00000000-0000-0000-0000-000000000000","status":"active","owner":"x","size":-1}`,
		`{"name":"g","` + strings.Repeat("k", 300) + `":"v"}`,
		`{"name":"g","":"v"}`,
		`{"name":"g","__imagetype":"gold","__platform":"x","hw_firmware_type":"nope","max_ram":"abc"}`,
		`{"name":"g","custom":1}`,
	},
	"ListImageByTags": {
		`{"action":"filter","offset":"9223372036854775807","limit":"10"}`,
		`{"action":"filter","offset":"1","limit":"9223372036854775807"}`,
		`{"action":"filter","offset":"9223372036854775807","limit":"9223372036854775807"}`,
		`{"action":"count","offset":"9223372036854775807","limit":"9223372036854775807"}`,
		`{"action":"filter","offset":"99999999999999999999"}`,
		`{"action":"filter","offset":"-1"}`,
		`{"action":"filter","limit":"-1"}`,
		`{"action":"filter","limit":" 1"}`,
		`{"action":"filter","limit":"1e3"}`,
		`{"action":"filter","limit":10}`,
		`{"action":"filter","tags":[{"key":"","values":[]}],"tags_any":[{}],"not_tags":[{"key":"k1","values":[null]}],"not_tags_any":[null]}`,
		`{"action":"filter","matches":[{"key":"resource_name"},{"key":"nope","value":"x"},null]}`,
		`{"action":"nope"}`,
		`{"action":""}`,
	},
	"CreateOrUpdateTags": {
		`{"image_id":"{img}","tag":"=v"}`,
		`{"image_id":"{img}","tag":"k=v=w"}`,
		`{"image_id":"{img}","tag":"k"}`,
		`{"image_id":"","tag":"k=v"}`,
		`{"image_id":"nope","tag":"k=v"}`,
		`{"image_id":"{img}","image_tag":{"value":"v"}}`,
		`{"image_id":"{img}","image_tag":{"key":"k/,*"}}`,
	},
	"AddImageTag":          {`{"tag":{"key":"","value":""}}`, `{"tag":{"key":" k ","value":"v"}}`, `{"tag":{"key":"k=","value":"v,*"}}`, `{"tag":{}}`, `{"tag":null}`},
	"BatchAddOrDeleteTags": {`{"action":"create","tags":[]}`, `{"action":"delete","tags":[{"key":"absent"}]}`, `{"action":"create","tags":[{"key":"k"},null]}`, `{"action":"create","tags":[` + strings.Repeat(`{"key":"k","value":"v"},`, 60) + `{"key":"z"}]}`},
	"BatchDeleteTags":      {`{"tags":[]}`, `{"tags":[{"key":""}]}`, `{"tags":[null]}`},
	"CopyImageInRegion": {
		`{"name":"c","enterprise_project_id":"nope"}`,
		`{"name":"c","cmk_id":"nope"}`,
		`{"name":"` + strings.Repeat("n", 1000) + `"}`,
		`{"name":""}`,
		`{"description":"d"}`,
	},
	"BatchAddMembers": {
		`{"images":["{img}","{img}"],"projects":["{mid}","{mid}"]}`,
		`{"images":["{img}"],"projects":["{pid}"]}`,
		`{"images":["{img}"],"projects":[""]}`,
		`{"images":[""],"projects":["{mid}"]}`,
		`{"images":["{img}"],"projects":["{mid}"],"domains":["{did}"],"organizations":["o"]}`,
		`{"images":["{img}"],"projects":["` + strings.Repeat("p", 1000) + `"]}`,
		`{"images":[` + strings.Repeat(`"{img}",`, 200) + `"{img}"],"projects":["{mid}"]}`,
	},
	"BatchUpdateMembers": {
		`{"images":["{img}"],"project_id":"{mid}","status":"accepted"}`,
		`{"images":["{img}"],"project_id":"{pid}","status":"pending"}`,
		`{"images":["{img}"],"project_id":"","status":"accepted"}`,
		`{"images":[],"project_id":"{pid}","status":"rejected"}`,
	},
	"CreateImage": {
		`{"name":"i","image_url":"a:b:c","min_disk":40}`,
		`{"name":"i","image_url":"` + strings.Repeat("b", 100) + `:x.raw","min_disk":40}`,
		`{"name":"i","image_url":"bucket:` + strings.Repeat("k", 2000) + `.raw","min_disk":40}`,
		`{"name":"i","image_url":"bucket:x.raw","min_disk":-9223372036854775808}`,
		`{"name":"i","image_url":"bucket:x.raw","min_disk":40,"max_ram":-1,"min_ram":-1}`,
		`{"name":"i","image_url":"bucket:x.raw","min_disk":40,"tags":["a.b"],"image_tags":[{"key":"a","value":"b"}]}`,
		`{"name":"i","image_url":"bucket:x.raw","min_disk":40,"tags":["` + strings.Repeat("t", 300) + `"]}`,
		`{"name":"i","image_url":"bucket:x.raw","min_disk":40,"data_images":[{}]}`,
		`{"name":"i","volume_id":"v"}`,
		`{"name":"i","image_url":"bucket:x.raw","min_disk":40,"type":"DataImage"}`,
		`{"name":"i","image_url":"bucket:x.iso","min_disk":40,"type":"IsoImage","os_version":"CentOS 7.9 64bit"}`,
	},
	"ImportImageQuick": {`{"name":"q","os_version":"","image_url":"bucket:x.raw","min_disk":40,"type":"DataImage","os_type":"Plan9"}`},
	"ExportImage": {
		`{"bucket_url":"bucket:x","file_format":"raw"}`,
		`{"bucket_url":"bucket:x","file_format":""}`,
		`{"bucket_url":"bucket:` + strings.Repeat("k", 2000) + `","file_format":"raw"}`,
	},
	"GlanceImportImage": {
		`{"method":{"name":"glance-direct"}}`,
		`{"method":{"name":"copy-image"},"all_stores":true}`,
		`{"method":{"name":"nope"}}`,
		`{"method":{}}`,
		`{"method":null}`,
		`{"method":{"name":"web-download","uri":"file:///etc/passwd"}}`,
	},
	"GlanceCreateTask": {
		`{"type":"export","input":{}}`,
		`{"type":"import","input":null}`,
		`{"type":"import","input":{"import_from":"file:///etc/passwd"}}`,
		`{"type":"import","input":{"import_from":"http://x/","image_properties":{"min_disk":"x","protected":"y","tags":[1]}}}`,
		`{"type":"import","input":[]}`,
	},
	"GlanceUpdateImageMember": {`{"status":"pending"}`, `{"status":"nope"}`, `{"status":""}`, `{}`},
	"GlanceAddImageMember":    {`{"member":"{pid}"}`, `{"member":""}`, `{"member":"` + strings.Repeat("m", 500) + `"}`, `{}`},
	"CopyImageInRegionInSafeMode": {
		`{"name":"c","enterprise_project_id":"nope"}`,
		`{"name":"c","cmk_id":"nope"}`,
		`{"name":""}`,
	},
	"KeystoneCreateUserTokenByPassword": {
		`{"auth":{"identity":{"methods":["token"]}}}`,
		`{"auth":{"identity":{"methods":[]}}}`,
		`{"auth":{"identity":{"methods":["password","password"],"password":{"user":{"id":"{uid}","name":"x","password":"Garbage-pass-1"}}}}}`,
		`{"auth":{"identity":{"methods":["password"],"password":{"user":{"id":"{uid}","password":"Garbage-pass-1"}}},"scope":{"project":{"name":"nope"}}}}`,
		`{"auth":{"identity":{"methods":["password"],"password":{"user":{"id":"{uid}","password":"Garbage-pass-1"}}},"scope":{"project":{},"domain":{}}}}`,
		`{"auth":{"identity":{"methods":["password"],"password":{"user":{"id":"{uid}","password":"Garbage-pass-1"}}},"scope":{"domain":{"name":"nope"}}}}`,
		`{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"garbage-user","password":"Garbage-pass-1","domain":{}}}}}}`,
		`{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"garbage-user","password":"` + strings.Repeat("p", 100000) + `","domain":{"id":"{did}"}}}}}}`,
		`{"auth":{"identity":{"methods":["password"],"password":{"user":{"id":"{uid}","password":""}}}}}`,
	},
	"KeystoneCreateProject": {
		`{"project":{"name":"nope","domain_id":"{did}"}}`,
		`{"project":{"name":"{region}_x","parent_id":"nope"}}`,
		`{"project":{"name":"{region}_x","domain_id":"nope"}}`,
		`{"project":{"name":"{region}_` + strings.Repeat("x", 300) + `"}}`,
		`{"project":{"name":""}}`,
		`{"project":{"name":"{region}"}}`,
	},
	"KeystoneCreateUser": {
		`{"user":{"name":"` + strings.Repeat("u", 300) + `"}}`,
		`{"user":{"name":"u4","password":"` + strings.Repeat("p", 100000) + `"}}`,
		`{"user":{"name":"u5","password":"x"}}`,
		`{"user":{"name":"u6","email":"not-an-email"}}`,
		`{"user":{"name":"u7","domain_id":"nope"}}`,
		`{"user":{"name":""}}`,
		`{"user":{"name":"garbage-user"}}`,
	},
	"CreateUser": {`{"user":{"name":"` + strings.Repeat("u", 300) + `"}}`, `{"user":{"name":"u8","email":"@"}}`, `{"user":{}}`},
	"KeystoneUpdateUserByAdmin": {
		`{"user":{"domain_id":"nope"}}`,
		`{"user":{"name":""}}`,
		`{"user":{"password":"x"}}`,
		`{"user":{"email":"nope"}}`,
		`{"user":{}}`,
	},
	"KeystoneUpdateUserPassword": {
		`{"user":{"password":"x","original_password":"wrong"}}`,
		`{"user":{"password":"","original_password":""}}`,
		`{"user":{"password":"` + strings.Repeat("p", 100000) + `","original_password":"Garbage-pass-1"}}`,
	},
	"KeystoneCreateGroup": {`{"group":{"name":""}}`, `{"group":{"name":"` + strings.Repeat("g", 300) + `"}}`, `{"group":{"name":"g3","domain_id":"nope"}}`},
	"KeystoneUpdateGroup": {`{"group":{"name":""}}`, `{"group":{"domain_id":"nope"}}`, `{"group":{}}`},
	"CreatePermanentAccessKey": {
		`{"credential":{"user_id":"nope"}}`, `{"credential":{"user_id":""}}`,
		`{"credential":{"user_id":"{uid}","description":"` + strings.Repeat("d", 1000) + `"}}`,
	},
	"UpdatePermanentAccessKey": {`{"credential":{"status":"nope"}}`, `{"credential":{"status":""}}`, `{"credential":{}}`},
	"CreateCloudServiceCustomPolicy": {
		`{"role":{"display_name":"p3","type":"AX","policy":{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["ims:images:list"]}]}}}`,
		`{"role":{"display_name":"p4","type":"nope","policy":{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["ims:images:list"]}]}}}`,
		`{"role":{"display_name":"p5","type":"XA","policy":{"Version":"1.0","Statement":[{"Effect":"Allow","Action":["ims:images:list"]}],"Depends":[{"catalog":"x","display_name":"y"}]}}}`,
		`{"role":{"display_name":"p6","type":"XA","policy":{"Version":"5.0","Statement":[]}}}`,
		`{"role":{"display_name":"p7","type":"XA","policy":{"Version":"1.1","Statement":[]}}}`,
		`{"role":{"display_name":"p8","type":"XA","policy":{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["*:*:*"]}]}}}`,
		`{"role":{"display_name":"p9","type":"XA","policy":{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["ims"]}]}}}`,
		`{"role":{"display_name":"p10","type":"XA","policy":{"Version":"1.1","Statement":[{"Effect":"Maybe","Action":["ims:images:list"]}]}}}`,
		`{"role":{"display_name":"p11","type":"XA","policy":{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["ims:images:list"],"Condition":{"NumberLessThan":{"g:MFAAge":["1e400"]},"DateLessThan":{"g:CurrentTime":["0000-01-01T00:00:00Z"]},"IpAddress":{"g:SourceIp":["999.0.0.0/99"]},"Bool":{"g:MFAPresent":["maybe"]}}}]}}}`,
		`{"role":{"display_name":"p12","type":"XA","policy":{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["ims:images:list"],"Condition":{"StringMatch":{"g:UserName":["` + strings.Repeat("*?", 500) + `"]}}}]}}}`,
		`{"role":{"display_name":"p13","type":"XA","policy":{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["ims:images:list"],"Condition":{"Nope":{"g:UserName":["x"]},"StringEquals":{"g:Nope":["x"]}}}]}}}`,
		`{"role":{"display_name":"p14","type":"XA","policy":{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["ims:images:list"],"Resource":["nope"]}]}}}`,
		`{"role":{"display_name":"p15","type":"XA","policy":{"Version":"1.1","Statement":[` + strings.Repeat(`{"Effect":"Allow","Action":["ims:images:list"]},`, 200) + `{"Effect":"Allow","Action":["ims:images:list"]}]}}}`,
		`{"role":{"display_name":"p16","type":"XA","policy":{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["` + strings.Repeat("a", 70000) + `"]}]}}}`,
		`{"role":{"display_name":"p17","type":"XA","policy":"{"Version":"1.1"}"}}`,
		`{"role":{"display_name":"p18","type":"XA","policy":{}}}`,
		`{"role":{"display_name":"p19","type":"XA","policy":{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["ims:images:list"]}],"Extra":1}}}`,
		`{"role":{"display_name":"","type":"XA","policy":{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["ims:images:list"]}]}}}`,
		`{"role":{"display_name":"garbage-policy","type":"XA","policy":{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["ims:images:list"]}]}}}`,
		`{"role":{"display_name":"p20","type":"XA"}}`,
	},
	"UpdateCloudServiceCustomPolicy": {
		`{"role":{"display_name":"garbage-policy","type":"AX","policy":{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["ims:images:list"]}]}}}`,
		`{"role":{"display_name":"garbage-policy","type":"XA","policy":{"Version":"1.1","Statement":[]}}}`,
		`{"role":{"display_name":"garbage-policy","type":"XA","policy":{"Version":"1.0","Statement":[{"Effect":"Allow","Action":["ims:images:list"]}]}}}`,
		`{"role":{"display_name":"","type":"","policy":null}}`,
		`{"role":{}}`,
	},
	"CreateEnterpriseProject": {`{"name":""}`, `{"name":"default"}`, `{"name":"ep3","type":"nope"}`, `{"name":"` + strings.Repeat("e", 300) + `"}`, `{"name":"garbage-ep"}`, `{"name":"e p/\"}`},
	"UpdateEnterpriseProject": {`{"name":""}`, `{"name":"default"}`, `{"name":"garbage-ep","type":"nope"}`},
	"EnableDisableEnterpriseProject": {
		`{"action":"disable"}`, `{"action":"disable"}`, `{"action":"enable"}`, `{"action":"enable"}`, `{"action":"ENABLE"}`, `{"action":""}`,
	},
	"MigrateResource": {
		`{"resource_id":"{img}","resource_type":"nope","region_id":"{region}","project_id":"{pid}"}`,
		`{"resource_id":"{img}","resource_type":"images","region_id":"nope","project_id":"{pid}"}`,
		`{"resource_id":"{img}","resource_type":"images","region_id":"{region}","project_id":"nope"}`,
		`{"resource_id":"nope","resource_type":"images","region_id":"{region}","project_id":"{pid}"}`,
		`{"resource_id":"","resource_type":"","region_id":"","project_id":""}`,
		`{"resource_id":"{img}","resource_type":"images","region_id":"{region}","project_id":"{pid}","associated":true}`,
	},
}

// garbagePatches are bad JSON-patch documents for the two image PATCH
// routes.
var garbagePatches = []string{
	`[{"op":"replace"}]`,
	`[{"path":"/name","value":"x"}]`,
	`[{"op":"bogus","path":"/name","value":"x"}]`,
	`[{"op":"replace","path":"name","value":"x"}]`,
	`[{"op":"replace","path":"","value":"x"}]`,
	`[{"op":"add","path":"/","value":"x"}]`,
	`[{"op":"replace","path":"/a/b","value":"x"}]`,
	`[{"op":"replace","path":"/name","value":{"a":1}}]`,
	`[{"op":"replace","path":"/name","value":[1]}]`,
	`[{"op":"replace","path":"/name","value":true}]`,
	`[{"op":"replace","path":"/name","value":1e400}]`,
	`[{"op":"replace","path":"/name","value":"` + strings.Repeat("n", 300) + `"}]`,
	`[{"op":"remove","path":"/name"}]`,
	`[{"op":"remove","path":"/id"}]`,
	`[{"op":"remove","path":"/nonexistent"}]`,
	`[{"op":"replace","path":"/id","value":"x"}]`,
	`[{"op":"replace","path":"/status","value":"active"}]`,
	`[{"op":"replace","path":"/size","value":-1}]`,
	`[{"op":"replace","path":"/min_disk","value":"abc"}]`,
	`[{"op":"replace","path":"/min_disk","value":-1}]`,
	`[{"op":"replace","path":"/min_disk","value":1e400}]`,
	`[{"op":"replace","path":"/min_disk","value":99999999999999999999}]`,
	`[{"op":"replace","path":"/min_ram","value":1.5}]`,
	`[{"op":"replace","path":"/min_ram","value":-99999999999999999999}]`,
	`[{"op":"replace","path":"/protected","value":"maybe"}]`,
	`[{"op":"replace","path":"/visibility","value":"galaxy"}]`,
	`[{"op":"replace","path":"/disk_format","value":"nope"}]`,
	`[{"op":"replace","path":"/container_format","value":"nope"}]`,
	`[{"op":"replace","path":"/tags","value":"x"}]`,
	`[{"op":"add","path":"/tags","value":["a"]}]`,
	`[{"op":"replace","path":"/__os_version","value":"nope"}]`,
	`[{"op":"replace","path":"/enterprise_project_id","value":"nope"}]`,
	`[{"op":"replace","path":"/owner","value":"nope"}]`,
	`[{"op":"replace","path":"/created_at","value":"yesterday"}]`,
	`[{"op":"add","path":"/` + strings.Repeat("k", 300) + `","value":"x"}]`,
	`[{"op":"add","path":"/custom","value":"` + strings.Repeat("v", 70000) + `"}]`,
	`[{"op":"add","path":"/画像","value":"ü🙂"}]`,
	`[{"op":"copy","from":"/name","path":"/x"}]`,
	`[{"op":"move","from":"/name","path":"/x"}]`,
	`[{"op":"test","path":"/name","value":"x"}]`,
	`[{"op":"replace","path":"/name","value":1}]`,
	`[{"op":"add","path":"/a~2b","value":"x"}]`,
	`[{"op":"add","path":"/a~","value":"x"}]`,
	`[{"op":"add","path":"/max_ram","value":"-1"}]`,
	`[{"op":"add","path":"/max_ram","value":-1}]`,
	`[{"op":"add","path":"/locations/-","value":{"url":"file:///etc/passwd","metadata":{}}}]`,
	`[{"op":"add","path":"/os_hidden","value":"true"}]`,
	`[{"op":"add","path":"/__imsd_job_id","value":"x"}]`,
	`[{"op":"add","path":"/metadata","value":"x"}]`,
	`[{"replace":"/name","value":"x"}]`,
	`[{"op":"replace","path":"/tags","value":[` + strings.Repeat(`"t",`, 60) + `"t"]}]`,
	`[{"op":"replace","path":"/disk_format","value":null}]`,
	`[null]`,
	`{}`,
	`[{"op":123,"path":"/name","value":"x"}]`,
	`[{"op":"replace","path":123,"value":"x"}]`,
	`[null]`, `[1]`, `[[]]`, `["x"]`, `[{}]`,
	`{"op":"replace","path":"/name","value":"x"}`,
	`[{"op":"replace","path":"/name","value":"x"},{"op":"replace","path":"/name"}]`,
}

// garbageValues replace one field of a template at a time.
var garbageValues = []struct{ name, raw string }{
	{"number", `123`}, {"negative", `-1`}, {"huge number", `1e400`}, {"string", `"x"`},
	{"bool", `true`}, {"array", `[]`}, {"object", `{}`}, {"null", `null`},
	{"4KB string", `"` + strings.Repeat("s", 4<<10) + `"`},
}

// jsonKindOf names the JSON kind of a decoded value.
func jsonKindOf(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case json.Number, float64:
		return "number"
	case bool:
		return "bool"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "null"
}

// templateMutations returns the template with every field (objects at any
// depth, the first element of arrays) replaced in turn by values of the
// wrong type.
func templateMutations(t *testing.T, tmpl string) []garbageInput {
	t.Helper()
	var paths [][]any
	var walk func(v any, path []any)
	walk = func(v any, path []any) {
		switch x := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				p := append(slices.Clone(path), k)
				paths = append(paths, p)
				walk(x[k], p)
			}
		case []any:
			if len(x) > 0 {
				p := append(slices.Clone(path), 0)
				paths = append(paths, p)
				walk(x[0], p)
			}
		}
	}
	var root any
	dec := json.NewDecoder(strings.NewReader(tmpl))
	dec.UseNumber()
	if err := dec.Decode(&root); err != nil {
		t.Fatalf("template %s: %v", tmpl, err)
	}
	walk(root, nil)
	var out []garbageInput
	for _, p := range paths {
		names := make([]string, len(p))
		for i, s := range p {
			names[i] = fmt.Sprint(s)
		}
		for _, g := range garbageValues {
			clone := decodeNumbers(t, tmpl)
			orig := setAt(clone, p, json.RawMessage(g.raw))
			if k := jsonKindOf(orig); k == "string" && g.name == "string" || k == "bool" && g.name == "bool" ||
				k == "array" && g.name == "array" || k == "object" && g.name == "object" || k == "number" && g.name == "number" ||
				k != "string" && g.name == "4KB string" || k != "number" && (g.name == "negative" || g.name == "huge number") {
				continue // not a wrong type, or one more number where any number is wrong
			}
			b, err := json.Marshal(clone)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, garbageInput{name: "field " + strings.Join(names, ".") + "=" + g.name, body: b, hasBody: true})
		}
	}
	return out
}

func decodeNumbers(t *testing.T, s string) any {
	var v any
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// setAt replaces the value at path in v and returns the old value.
func setAt(v any, path []any, nv any) any {
	for i, step := range path {
		last := i == len(path)-1
		switch x := v.(type) {
		case map[string]any:
			k := step.(string)
			if last {
				old := x[k]
				x[k] = nv
				return old
			}
			v = x[k]
		case []any:
			k := step.(int)
			if last {
				old := x[k]
				x[k] = nv
				return old
			}
			v = x[k]
		}
	}
	return nil
}

// garbageBodies are malformed bodies for every route that may read one.
func garbageBodies() []garbageInput {
	nested := strings.Repeat(`{"a":`, 20) + `1` + strings.Repeat(`}`, 20)
	raw := []struct{ name, body string }{
		{"empty", ``},
		{"whitespace", " \n\t "},
		{"open brace", `{`},
		{"array", `[]`},
		{"null", `null`},
		{"string", `"x"`},
		{"number", `123`},
		{"negative", `-1`},
		{"huge number", `1e400`},
		{"true", `true`},
		{"empty object", `{}`},
		{"name number", `{"name":123}`},
		{"name object", `{"name":{"a":1}}`},
		{"name huge number", `{"name":1e400}`},
		{"name negative", `{"name":-1}`},
		{"name lone surrogate", `{"name":"\ud800"}`},
		{"duplicate keys", `{"name":"x","name":123}`},
		{"trailing garbage", `{"name":"x"} {"name":"y"}`},
		{"nested 20", nested},
		{"name nested 20", `{"name":` + nested + `}`},
		{"array nested 20", strings.Repeat("[", 20) + strings.Repeat("]", 20)},
		{"array nested 100000", strings.Repeat("[", 100000)},
		{"1MB string", `{"name":"` + strings.Repeat("x", 1<<20) + `"}`},
		{"array of garbage", `[null,1,"x",{},[]]`},
	}
	out := []garbageInput{{name: "body none"}}
	for _, r := range raw {
		out = append(out, garbageInput{name: "body " + r.name, body: []byte(r.body), hasBody: true})
	}
	return out
}

// garbageQueries are malformed query strings: the first
// garbageCommonQueries go to every GET route, all of them to the GET
// routes whose path ends in a fixed word (lists, searches).
var garbageQueries = []url.Values{
	{"limit": {"-1"}},
	{"limit": {"abc"}},
	{"limit": {"99999999999999999999"}},
	{"marker": {"garbage"}},
	{"sort_key": {"nope"}},
	{"page": {"0"}},
	{"per_page": {"-5"}},
	{"limit": {"-1"}, "marker": {"garbage"}, "sort_key": {"nope"}, "page": {"0"}, "per_page": {"-5"}},

	{"limit": {"0"}},
	{"marker": {strings.Repeat("m", 4096)}},
	{"sort_dir": {"sideways"}},
	{"sort_key": {"name,id"}, "sort_dir": {"asc,desc"}},
	{"page": {"-1"}, "per_page": {"10"}},
	{"page": {"99999999999999999999"}, "per_page": {"99999999999999999999"}},
	{"offset": {"-1"}},
	{"offset": {"99999999999999999999"}, "limit": {"1"}},
	{"status": {"-1"}},
	{"status": {"nope"}},
	{"enabled": {"maybe"}, "is_domain": {"maybe"}},
	{"min_ram": {"abc"}, "min_disk": {"99999999999999999999"}},
	{"protected": {"maybe"}},
	{"created_at": {"gte:yesterday"}},
	{"updated_at": {"nope"}},
	{"name": {"画像-ü-🙂"}, "id": {".."}},
	{"user_id": {"nope"}, "action": {"nope"}, "image_id": {".."}},
	{"user_id": {"{uid}"}, "action": {"ims:images:get"}, "image_id": {"{img}"}, "target_enterprise_project_id": {"nope"}},
	{"nocatalog": {""}, "domain_id": {".."}},
	{"limit": {"9223372036854775807"}, "offset": {"9223372036854775807"}},
	{"page": {"9223372036854775807"}, "per_page": {"1"}},
	{"page": {"1"}, "per_page": {"9223372036854775807"}},
	{"created_at": {"gt:0000-01-01T00:00:00Z"}},
	{"created_at": {"lt:9999-12-31T23:59:59Z"}, "updated_at": {"gte:0001-01-01 00:00:00"}},
	{"created_at": {"gt:0000-01-01T00:00:00+23:59"}},
	{"created_at": {"gt:9999-12-31T23:59:59-23:59"}},
	{"sort_key": {"created_at"}, "sort_dir": {"asc"}, "marker": {"{img}"}, "limit": {"1"}},
	{"marker": {"00000000-0000-0000-0000-000000000000"}},
	{"status": {"2"}, "type": {"nope"}, "id": {"nope"}},
	{"user_id": {"{uid}"}, "action": {"*"}},
	{"user_id": {"{uid}"}, "action": {"ims:images:copy"}, "image_id": {"{img}"}, "target_enterprise_project_id": {"{ep}"}},
}

const garbageCommonQueries = 8

// garbageIDs replace one real path parameter at a time.
var garbageIDs = []struct{ name, id string }{
	{"4KB", strings.Repeat("a", 4096)},
	{"dotdot", ".."},
	{"unicode", "画像-ü-🙂"},
	{"percent", "%zz"},
	{"space", " x "},
	{"empty", ""},
	{"zero", "0"},
	{"absent hex id", "0123456789abcdef0123456789abcdef"},
	{"absent uuid", "00000000-0000-0000-0000-000000000000"},
}
