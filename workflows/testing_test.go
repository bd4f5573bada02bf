package workflows

import (
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/workflow"
)

func workflowOptions(name string) workflow.RegisterOptions {
	return workflow.RegisterOptions{Name: name}
}

func startOptions(id string) client.StartWorkflowOptions { return client.StartWorkflowOptions{ID: id} }
