package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/config"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/devserver"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/telemetry"
)

// SearchAttributeTypes maps the project's search attributes to server types.
func SearchAttributeTypes() map[string]enumspb.IndexedValueType {
	out := map[string]enumspb.IndexedValueType{}
	for name, kind := range names.SearchAttributeKinds {
		out[name] = enumspb.IndexedValueType(enumspb.IndexedValueType_value["INDEXED_VALUE_TYPE_"+strings.ToUpper(kindToEnum(kind))])
	}
	return out
}

func kindToEnum(kind string) string {
	switch kind {
	case "KeywordList":
		return "KEYWORD_LIST"
	}
	return kind
}

// startEmbedded starts the in-process Temporal server when no address is configured.
func startEmbedded(ctx context.Context, cfg *config.Config) (*devserver.Server, error) {
	return devserver.Start(ctx, devserver.Options{
		DataDir:          cfg.Temporal.DataDir,
		Namespace:        cfg.Temporal.Namespace,
		FrontendPort:     cfg.Temporal.FrontendPort,
		UIPort:           cfg.Temporal.UIPort,
		SearchAttributes: SearchAttributeTypes(),
	})
}

// Dial connects an SDK client with the project's telemetry.
func Dial(ctx context.Context, cfg *config.Config, address string, tel *telemetry.Telemetry, logger *slog.Logger) (client.Client, error) {
	opts := client.Options{
		HostPort:  address,
		Namespace: cfg.Temporal.Namespace,
		Logger:    sdklog.NewStructuredLogger(logger.With("component", "temporal-sdk")),
	}
	if tel != nil {
		metrics, interceptors, err := tel.TemporalOptions()
		if err != nil {
			return nil, err
		}
		opts.MetricsHandler, opts.Interceptors = metrics, interceptors
	}
	if cfg.Temporal.APIKey != "" {
		opts.Credentials = client.NewAPIKeyStaticCredentials(cfg.Temporal.APIKey)
	}
	if cfg.Temporal.TLS || cfg.Temporal.APIKey != "" || cfg.Temporal.TLSCert != "" {
		tlsConf, err := tlsConfig(cfg.Temporal)
		if err != nil {
			return nil, err
		}
		opts.ConnectionOptions.TLS = tlsConf
	}
	dialCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c, err := client.DialContext(dialCtx, opts)
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s: %w", address, err)
	}
	return c, nil
}

func tlsConfig(t config.Temporal) (*tls.Config, error) {
	conf := &tls.Config{MinVersion: tls.VersionTLS12}
	if t.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(t.TLSCert, t.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("TEMPORAL_TLS_CERT/TEMPORAL_TLS_KEY: %w", err)
		}
		conf.Certificates = []tls.Certificate{cert}
	}
	if t.TLSCA != "" {
		pem, err := os.ReadFile(t.TLSCA)
		if err != nil {
			return nil, fmt.Errorf("TEMPORAL_TLS_CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, errors.New("TEMPORAL_TLS_CA: no certificate found")
		}
		conf.RootCAs = pool
	}
	return conf, nil
}

// EnsureSearchAttributes registers missing custom search attributes. On the
// embedded server they exist from the first start; on an external cluster
// this needs operator rights, so a refusal is reported, not fatal.
func EnsureSearchAttributes(ctx context.Context, c client.Client, namespace string, logger *slog.Logger) {
	want := SearchAttributeTypes()
	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		logger.Warn("cannot list search attributes; create them by hand (see docs/operations.md)", "error", err)
		return
	}
	missing := map[string]enumspb.IndexedValueType{}
	for _, name := range config.SortedKeys(want) {
		if _, ok := resp.GetCustomAttributes()[name]; !ok {
			missing[name] = want[name]
		}
	}
	if len(missing) == 0 {
		return
	}
	if _, err := c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: namespace, SearchAttributes: missing,
	}); err != nil {
		logger.Warn("cannot add search attributes; create them by hand (see docs/operations.md)", "missing", config.SortedKeys(missing), "error", err)
	}
}
