package httpapi

// Placeholders: the directory, API key and export handlers are being
// written; this file goes away when they land.

import (
	"errors"
	"net/http"
)

var errTODO = errors.New("not implemented yet")

func (s *Server) listCompanies(w http.ResponseWriter, r *http.Request, c *caller) error {
	return errTODO
}
func (s *Server) createCompany(w http.ResponseWriter, r *http.Request, c *caller) error {
	return errTODO
}
func (s *Server) getCompany(w http.ResponseWriter, r *http.Request, c *caller) error { return errTODO }
func (s *Server) updateCompany(w http.ResponseWriter, r *http.Request, c *caller) error {
	return errTODO
}
func (s *Server) deleteCompany(w http.ResponseWriter, r *http.Request, c *caller) error {
	return errTODO
}
func (s *Server) listContacts(w http.ResponseWriter, r *http.Request, c *caller) error {
	return errTODO
}
func (s *Server) createContact(w http.ResponseWriter, r *http.Request, c *caller) error {
	return errTODO
}
func (s *Server) importContacts(w http.ResponseWriter, r *http.Request, c *caller) error {
	return errTODO
}
func (s *Server) getContact(w http.ResponseWriter, r *http.Request, c *caller) error { return errTODO }
func (s *Server) updateContact(w http.ResponseWriter, r *http.Request, c *caller) error {
	return errTODO
}
func (s *Server) deleteContact(w http.ResponseWriter, r *http.Request, c *caller) error {
	return errTODO
}
func (s *Server) listCustomers(w http.ResponseWriter, r *http.Request, c *caller) error {
	return errTODO
}
func (s *Server) createCustomer(w http.ResponseWriter, r *http.Request, c *caller) error {
	return errTODO
}
func (s *Server) importCustomers(w http.ResponseWriter, r *http.Request, c *caller) error {
	return errTODO
}
func (s *Server) getCustomer(w http.ResponseWriter, r *http.Request, c *caller) error { return errTODO }
func (s *Server) updateCustomer(w http.ResponseWriter, r *http.Request, c *caller) error {
	return errTODO
}
func (s *Server) deleteCustomer(w http.ResponseWriter, r *http.Request, c *caller) error {
	return errTODO
}
func (s *Server) searchUsers(w http.ResponseWriter, r *http.Request, c *caller) error { return errTODO }
func (s *Server) listAPIKeys(w http.ResponseWriter, r *http.Request, c *caller) error { return errTODO }
func (s *Server) createAPIKey(w http.ResponseWriter, r *http.Request, c *caller) error {
	return errTODO
}
func (s *Server) revokeAPIKey(w http.ResponseWriter, r *http.Request, c *caller) error {
	return errTODO
}
func (s *Server) exportTokens(w http.ResponseWriter, r *http.Request, c *caller) error {
	return errTODO
}
