package api

import (
	"encoding/json"
	"time"

	"github.com/imsd/imsd"
)

// TaskJSON renders a job as a Glance task. status is the task status
// (pending, processing, success, failure); input the task's input.
func TaskJSON(j *imsd.Job, status string, input json.RawMessage) map[string]any {
	if len(input) == 0 {
		input = json.RawMessage("{}")
	}
	var result any
	if j.Status == imsd.JobSuccess {
		result = map[string]string{"image_id": j.ImageID}
	}
	updated := j.CreatedAt
	for _, t := range []time.Time{j.BeginTime, j.EndTime} {
		if t.After(updated) {
			updated = t
		}
	}
	message := ""
	if j.Status == imsd.JobFail {
		message = j.ErrorCode + ": " + j.FailReason
	}
	return map[string]any{
		"id":         j.ID,
		"type":       j.Type,
		"status":     status,
		"input":      input,
		"result":     result,
		"owner":      j.ProjectID,
		"message":    message,
		"image_id":   j.ImageID,
		"expires_at": nil,
		"created_at": FormatTime(j.CreatedAt),
		"updated_at": FormatTime(updated),
		"self":       "/v2/tasks/" + j.ID,
		"schema":     "/v2/schemas/task",
	}
}
