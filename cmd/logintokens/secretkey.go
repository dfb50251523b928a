package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	lt "github.com/logintokens/logintokens"
	"github.com/logintokens/logintokens/sqlstore"
)

// keyFileName is the server key's file beside a SQLite database.
const keyFileName = "secret.key"

// loadKeyring returns the keyring of the server key: the configured one,
// else (SQLite only) the one in secret.key beside the database, created on
// first use. createdFile names the file when this call created it.
func loadKeyring(cfg *config) (keys *lt.Keyring, createdFile string, err error) {
	key := cfg.SecretKey
	if key == nil {
		if cfg.DatabaseKind != "sqlite" {
			// Instances behind a load balancer must share the key, so none
			// may invent its own.
			return nil, "", usagef("%sSECRET_KEY (or --secret-key) is required with PostgreSQL, the same on every instance; make one with: openssl rand -base64 32", envPrefix)
		}
		dbPath, err := sqlstore.SQLitePath(cfg.DatabaseURL)
		if err != nil {
			return nil, "", err
		}
		path := filepath.Join(filepath.Dir(dbPath), keyFileName)
		var created bool
		key, created, err = readOrCreateKeyFile(path)
		if err != nil {
			return nil, "", err
		}
		if created {
			createdFile = path
		}
	}
	keys, err = lt.NewKeyring(key, cfg.SecretKeyPrevious...)
	return keys, createdFile, err
}

// reportCreatedKey tells the operator of a command that it created the
// server key's file (path; "" when it did not), which must be kept.
func (c *cli) reportCreatedKey(path string) {
	if path != "" {
		fmt.Fprintf(c.stderr, "created the server key in %s; back it up with the database\n", path)
	}
}

// configuredKeyring is the keyring of a configured key, or nil: commands
// that never encrypt a token value do not need one.
func configuredKeyring(cfg *config) (*lt.Keyring, error) {
	if cfg.SecretKey == nil {
		return nil, nil
	}
	return lt.NewKeyring(cfg.SecretKey, cfg.SecretKeyPrevious...)
}

// readOrCreateKeyFile reads the key file at path, or creates it with a new
// random key. Creation is atomic: the key is written to a temporary file
// that is then hard-linked into place, which fails if the file exists, so
// two processes starting at once agree on one key and neither reads a
// half-written file.
func readOrCreateKeyFile(path string) (key []byte, created bool, err error) {
	key, err = readKeyFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, false, err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, fmt.Errorf("create folder for the secret key: %w", err)
	}
	key = make([]byte, lt.KeySize)
	rand.Read(key)
	text := []byte(base64.StdEncoding.EncodeToString(key) + "\n")

	tmp, err := os.CreateTemp(dir, ".secret.key-*") // mode 0600
	if err != nil {
		return nil, false, fmt.Errorf("create secret key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(text)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, false, fmt.Errorf("write secret key file: %w", err)
	}
	err = os.Link(tmp.Name(), path)
	switch {
	case err == nil:
		return key, true, nil
	case errors.Is(err, fs.ErrExist):
		// Another process created it first: use its key.
		key, err = readKeyFile(path)
		return key, false, err
	}
	// No hard links on this file system: create the file exclusively.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		key, err = readKeyFile(path)
		return key, false, err
	}
	if err != nil {
		return nil, false, fmt.Errorf("create secret key file: %w", err)
	}
	_, err = f.Write(text)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, false, fmt.Errorf("write secret key file %s: %w", path, err)
	}
	return key, true, nil
}

// readKeyFile reads a key file, refusing one that others may read: the key
// decrypts every token value in the database.
func readKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("secret key file %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); runtime.GOOS != "windows" && perm&0o077 != 0 {
		return nil, fmt.Errorf("secret key file %s is open to other users (mode %04o); restrict it with: chmod 600 %s", path, perm, path)
	}
	data, err := io.ReadAll(io.LimitReader(f, 1024))
	if err != nil {
		return nil, fmt.Errorf("read secret key file: %w", err)
	}
	key, err := lt.ParseKey(string(data))
	if err != nil {
		return nil, fmt.Errorf("secret key file %s: %w", path, err)
	}
	return key, nil
}
