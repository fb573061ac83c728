package api

import (
	"time"

	"github.com/imsd/imsd"
)

// FormatJobTime renders a job timestamp, "" for the zero time.
func FormatJobTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(JobTimeFormat)
}

// JobJSON renders a job as ShowJob / ShowJobProgress return it.
// error_code and fail_reason are null unless the job failed.
func JobJSON(j *imsd.Job, progressView bool) map[string]any {
	entities := map[string]any{
		"image_id":        j.ImageID,
		"image_name":      j.ImageName,
		"process_percent": j.Progress,
		"current_task":    j.CurrentTask,
	}
	if progressView {
		entities["subJobId"] = ""
	}
	var errorCode, failReason any
	if j.Status == imsd.JobFail {
		errorCode, failReason = j.ErrorCode, j.FailReason
	}
	return map[string]any{
		"job_id":      j.ID,
		"job_type":    j.Type,
		"status":      string(j.Status),
		"begin_time":  FormatJobTime(j.BeginTime),
		"end_time":    FormatJobTime(j.EndTime),
		"error_code":  errorCode,
		"fail_reason": failReason,
		"entities":    entities,
	}
}
