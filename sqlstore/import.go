package sqlstore

import (
	"context"
	"errors"

	lt "github.com/logintokens/logintokens"
)

// ImportContacts upserts contacts by externalId, else by email.
func (s *Store) ImportContacts(ctx context.Context, rows []lt.ContactImport) (lt.ImportResult, error) {
	return lt.ImportResult{}, errNotYet
}

// ImportCustomers upserts customers by externalId, else by email.
func (s *Store) ImportCustomers(ctx context.Context, rows []lt.ContactImport) (lt.ImportResult, error) {
	return lt.ImportResult{}, errNotYet
}

var errNotYet = errors.New("import is not implemented yet")
