// Command worker runs the odoo-dotdigital-sync service: the Temporal workers
// of the sync (and, with no TEMPORAL_ADDRESS, an embedded Temporal server
// with the Web UI). With --demo it also starts both emulators with seeded
// data and simulated shop traffic.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/app"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/config"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/demo"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/logging"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := config.Load(os.Args[1:], os.Getenv)
	if err != nil {
		return err
	}
	logger, err := logging.New(os.Stderr, cfg.LogLevel, cfg.LogFormat)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var shop *demo.Demo
	if cfg.Demo {
		if shop, err = demo.Start(ctx, cfg, logger); err != nil {
			return err
		}
		defer shop.Stop()
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	logger.Info("starting", "config", cfg.Redacted())
	a, err := app.Start(ctx, cfg, logger, app.Options{Getenv: os.Getenv})
	if err != nil {
		return err
	}
	printWhere(a, shop)
	if shop != nil {
		shop.Run(ctx, a)
	}
	<-ctx.Done()
	logger.Info("shutting down")
	stopCtx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	a.Stop(stopCtx)
	return nil
}

func printWhere(a *app.App, shop *demo.Demo) {
	fmt.Println()
	fmt.Println("odoo-dotdigital-sync is running")
	if a.UIURL != "" {
		fmt.Printf("  Temporal Web UI      %s/namespaces/%s/workflows\n", a.UIURL, a.Config.Temporal.Namespace)
	}
	fmt.Printf("  Temporal frontend    %s (temporal --address %s workflow list)\n", a.TemporalAddress, a.TemporalAddress)
	fmt.Printf("  Metrics and health   %s/metrics  %s/healthz  %s/readyz\n", a.HTTPURL, a.HTTPURL, a.HTTPURL)
	if shop != nil {
		fmt.Printf("  Odoo emulator        %s/xmlrpc/2/object (db %s, login %s)\n", shop.OdooURL, a.Config.Odoo.DB, a.Config.Odoo.Login)
		fmt.Printf("  Dotdigital emulator  %s/ (inspection page; REST at /v2, /contacts/v3, /insightData/v3)\n", shop.DotdigitalURL)
	}
	fmt.Println("  Ops CLI              go run ./starter --help")
	fmt.Println()
}
