package dotdigital

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestLogsCarryNoPersonalDataOrCredentials(t *testing.T) {
	var buf syncBuffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	rg := newRegions(t)
	c, err := New(Config{APIUser: testUser, APIPassword: testPassword, DiscoveryURL: rg.disc.srv.URL, Logger: logger})
	mustNoErr(t, err)
	_, _, err = c.UpsertContact(ctxT(t), "Jane.Secret@Example.com", ContactUpdate{DataFields: map[string]any{"FIRSTNAME": "Jane"}})
	mustNoErr(t, err)
	rg.move("r2") // 403 then rediscovery
	_, _, err = c.UpsertContact(ctxT(t), "jane.secret@example.com", ContactUpdate{})
	mustNoErr(t, err)
	_, err = c.GetContact(ctxT(t), "jane.secret@example.com") // r2 answers [] -> decode error
	if err == nil {
		t.Fatal("expected a decode error")
	}
	logs := buf.String()
	if !strings.Contains(logs, "/contacts/v3/email/{value}") || !strings.Contains(logs, "endpoint changed after 403") {
		t.Fatalf("expected call logs, got:\n%s", logs)
	}
	for _, bad := range []string{"jane", testPassword, "Basic ", "Authorization"} {
		if strings.Contains(strings.ToLower(logs), strings.ToLower(bad)) {
			t.Errorf("logs contain %q:\n%s", bad, logs)
		}
	}
}

func TestConfigPrintingRedactsPassword(t *testing.T) {
	cfg := Config{APIUser: testUser, APIPassword: testPassword}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("cfg", "config", cfg)
	for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), buf.String()} {
		if strings.Contains(s, testPassword) {
			t.Errorf("password printed: %s", s)
		}
	}
}
