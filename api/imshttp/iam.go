package imshttp

import "net/http"

// iamHandlers maps the identity and enterprise-project route names to
// handlers.
func (s *Server) iamHandlers() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{}
}
