package httpapi

// Placeholders: the OpenAPI document and its reference page are being
// written; this file goes away when they land.

import "net/http"

func (s *Server) openapi(w http.ResponseWriter, r *http.Request, c *caller) error { return errTODO }
func (s *Server) docs(w http.ResponseWriter, r *http.Request, c *caller) error    { return errTODO }
