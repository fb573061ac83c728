package imsd

// FailPoint is a hook the service calls at named steps of its multi-step
// operations ("upload.committed", "gc.deleted", ...). Production leaves it
// nil; the crash tests set one that kills the process at a chosen step, to
// prove that a crash there leaves nothing inconsistent (docs/architecture.md,
// "Crash safety").
type FailPoint func(step string)

// Hit calls f with step when f is set.
func (f FailPoint) Hit(step string) {
	if f != nil {
		f(step)
	}
}
