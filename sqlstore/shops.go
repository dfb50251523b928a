package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	lt "github.com/logintokens/logintokens"
)

const shopSelect = `SELECT id, name, client_id, public, redirect_uris, initiate_login_uri, post_logout_redirect_uris,
  disabled, created_at, updated_at FROM shops`

func scanShop(r rowScanner) (*lt.Shop, error) {
	sh := &lt.Shop{}
	var redirects, postLogout string
	var initiate sql.NullString
	if err := r.Scan(&sh.ID, &sh.Name, &sh.ClientID, &sh.Public, &redirects, &initiate, &postLogout,
		&sh.Disabled, dbTime{&sh.CreatedAt}, dbTime{&sh.UpdatedAt}); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(redirects), &sh.RedirectURIs); err != nil {
		return nil, fmt.Errorf("shop %d: bad redirect URIs in database: %w", sh.ID, err)
	}
	if err := json.Unmarshal([]byte(postLogout), &sh.PostLogoutRedirectURIs); err != nil {
		return nil, fmt.Errorf("shop %d: bad post-logout URIs in database: %w", sh.ID, err)
	}
	if sh.PostLogoutRedirectURIs == nil {
		sh.PostLogoutRedirectURIs = []string{}
	}
	if initiate.Valid {
		sh.InitiateLoginURI = &initiate.String
	}
	return sh, nil
}

func uriJSON(uris []string) string {
	if uris == nil {
		uris = []string{}
	}
	b, _ := json.Marshal(uris)
	return string(b)
}

func shopNotFound(id int64) error {
	return &lt.Error{Code: lt.ENOTFOUND, Message: fmt.Sprintf("shop %d not found", id)}
}

// FindShops lists every shop by name.
func (s *Store) FindShops(ctx context.Context) ([]*lt.Shop, error) {
	var out []*lt.Shop
	err := s.read(ctx, func(tx *tx) error {
		rows, err := tx.query(ctx, shopSelect+` ORDER BY name, id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			sh, err := scanShop(rows)
			if err != nil {
				return err
			}
			out = append(out, sh)
		}
		return rows.Err()
	})
	if out == nil {
		out = []*lt.Shop{}
	}
	return out, err
}

// FindShopByID returns one shop, or NOT_FOUND.
func (s *Store) FindShopByID(ctx context.Context, id int64) (*lt.Shop, error) {
	var sh *lt.Shop
	err := s.read(ctx, func(tx *tx) error {
		var err error
		sh, err = s.findShop(ctx, tx, id)
		return err
	})
	return sh, err
}

func (s *Store) findShop(ctx context.Context, tx *tx, id int64) (*lt.Shop, error) {
	sh, err := scanShop(tx.queryRow(ctx, shopSelect+` WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, shopNotFound(id)
	}
	return sh, err
}

// FindShopByClientID returns the shop of a client id, or NOT_FOUND.
func (s *Store) FindShopByClientID(ctx context.Context, clientID string) (*lt.Shop, error) {
	var sh *lt.Shop
	err := s.read(ctx, func(tx *tx) error {
		var err error
		sh, err = scanShop(tx.queryRow(ctx, shopSelect+` WHERE client_id = ?`, clientID))
		if errors.Is(err, sql.ErrNoRows) {
			return &lt.Error{Code: lt.ENOTFOUND, Message: "no shop has this client id"}
		}
		return err
	})
	return sh, err
}

// newShopSecret makes a client secret for clientID and its hash.
func newShopSecret(clientID string) (value string, hash []byte) {
	secret := lt.NewSecret()
	return lt.FormatValue(lt.ShopSecretPrefix, clientID, secret), lt.HashSecret(clientID, secret)
}

// CreateShop registers a shop; a confidential shop's secret is answered
// this once.
func (s *Store) CreateShop(ctx context.Context, actor lt.Actor, n lt.NewShop) (*lt.Shop, string, error) {
	if err := n.Validate(); err != nil {
		return nil, "", err
	}
	now := s.now()
	clientID := lt.NewID()
	var secret string
	var hash []byte
	if !n.Public {
		secret, hash = newShopSecret(clientID)
	}
	var sh *lt.Shop
	err := s.write(ctx, func(tx *tx) error {
		var id int64
		err := tx.queryRow(ctx, `INSERT INTO shops (name, client_id, secret_hash, public, redirect_uris, initiate_login_uri,
			post_logout_redirect_uris, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			n.Name, clientID, hash, n.Public, uriJSON(n.RedirectURIs), n.InitiateLoginURI, uriJSON(n.PostLogoutRedirectURIs), now, now).Scan(&id)
		if err != nil {
			return fmt.Errorf("insert shop: %w", err)
		}
		if err := s.audit(ctx, tx, actor, lt.EventShopCreated, "", map[string]any{"shopId": id, "name": n.Name, "public": n.Public}); err != nil {
			return err
		}
		sh, err = s.findShop(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return sh, secret, nil
}

// UpdateShop applies a patch.
func (s *Store) UpdateShop(ctx context.Context, actor lt.Actor, id int64, upd lt.ShopUpdate) (*lt.Shop, error) {
	var sh *lt.Shop
	err := s.write(ctx, func(tx *tx) error {
		old, err := s.findShop(ctx, tx, id)
		if err != nil {
			return err
		}
		next := *old
		if err := upd.Apply(&next); err != nil {
			return err
		}
		var changed []string
		if next.Name != old.Name {
			changed = append(changed, "name")
		}
		if !slices.Equal(next.RedirectURIs, old.RedirectURIs) {
			changed = append(changed, "redirectUris")
		}
		if !optEqual(next.InitiateLoginURI, old.InitiateLoginURI) {
			changed = append(changed, "initiateLoginUri")
		}
		if !slices.Equal(next.PostLogoutRedirectURIs, old.PostLogoutRedirectURIs) {
			changed = append(changed, "postLogoutRedirectUris")
		}
		if next.Disabled != old.Disabled {
			changed = append(changed, "disabled")
		}
		if len(changed) == 0 {
			sh = old
			return nil
		}
		if _, err := tx.exec(ctx, `UPDATE shops SET name = ?, redirect_uris = ?, initiate_login_uri = ?, post_logout_redirect_uris = ?,
			disabled = ?, updated_at = ? WHERE id = ?`, next.Name, uriJSON(next.RedirectURIs), next.InitiateLoginURI,
			uriJSON(next.PostLogoutRedirectURIs), next.Disabled, s.now(), id); err != nil {
			return fmt.Errorf("update shop: %w", err)
		}
		if err := s.audit(ctx, tx, actor, lt.EventShopUpdated, "", map[string]any{"shopId": id, "changed": changed}); err != nil {
			return err
		}
		sh, err = s.findShop(ctx, tx, id)
		return err
	})
	return sh, err
}

func optEqual(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// RotateShopSecret gives a confidential shop a new secret; the old one
// stops working at once.
func (s *Store) RotateShopSecret(ctx context.Context, actor lt.Actor, id int64) (*lt.Shop, string, error) {
	var sh *lt.Shop
	var secret string
	err := s.write(ctx, func(tx *tx) error {
		var err error
		if sh, err = s.findShop(ctx, tx, id); err != nil {
			return err
		}
		if sh.Public {
			return lt.Errorf(lt.ECONFLICT, "shop %d is public: it has no client secret to rotate", id)
		}
		var hash []byte
		secret, hash = newShopSecret(sh.ClientID)
		if _, err := tx.exec(ctx, `UPDATE shops SET secret_hash = ?, updated_at = ? WHERE id = ?`, hash, s.now(), id); err != nil {
			return fmt.Errorf("rotate shop secret: %w", err)
		}
		if err := s.audit(ctx, tx, actor, lt.EventShopSecretRotated, "", map[string]any{"shopId": id}); err != nil {
			return err
		}
		sh, err = s.findShop(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return sh, secret, nil
}

// DeleteShop removes a shop no token is bound to, with the provider's
// state of it (its authorization requests and access tokens).
func (s *Store) DeleteShop(ctx context.Context, actor lt.Actor, id int64) error {
	return s.write(ctx, func(tx *tx) error {
		if _, err := s.findShop(ctx, tx, id); err != nil {
			return err
		}
		var bound int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM login_tokens WHERE shop_id = ?`, id).Scan(&bound); err != nil {
			return err
		}
		if bound > 0 {
			return lt.Errorf(lt.ECONFLICT, "shop %d has %d login tokens bound to it: delete them or bind them elsewhere first, or disable the shop", id, bound)
		}
		if _, err := tx.exec(ctx, `DELETE FROM oidc_access_tokens WHERE shop_id = ?`, id); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `DELETE FROM oidc_auth_requests WHERE shop_id = ?`, id); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `DELETE FROM shops WHERE id = ?`, id); err != nil {
			return fmt.Errorf("delete shop: %w", err)
		}
		return s.audit(ctx, tx, actor, lt.EventShopDeleted, "", map[string]any{"shopId": id})
	})
}

// AuthenticateShop checks a confidential shop's client id and secret in
// constant time. Every refusal is the same UNAUTHENTICATED answer.
func (s *Store) AuthenticateShop(ctx context.Context, clientID, secret string) (*lt.Shop, error) {
	refused := &lt.Error{Code: lt.EUNAUTHENTICATED, Message: "unknown client or wrong client secret"}
	id, sec, err := lt.ParseValue(lt.ShopSecretPrefix, secret)
	if err != nil || id != clientID {
		return nil, refused
	}
	var sh *lt.Shop
	err = s.read(ctx, func(tx *tx) error {
		var hash []byte
		row := tx.queryRow(ctx, `SELECT secret_hash, id FROM shops WHERE client_id = ?`, clientID)
		var shopID int64
		if err := row.Scan(&hash, &shopID); errors.Is(err, sql.ErrNoRows) {
			return refused
		} else if err != nil {
			return err
		}
		if hash == nil || !lt.SecretMatches(hash, clientID, sec) {
			return refused
		}
		var err error
		sh, err = s.findShop(ctx, tx, shopID)
		return err
	})
	if err != nil {
		return nil, err
	}
	if sh.Disabled {
		return nil, refused
	}
	return sh, nil
}
