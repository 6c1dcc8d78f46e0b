"""Parallel joins inside loops. A review that can send the material back (退回修改) re-enters its
parallel fork; SpiffWorkflow 3.2 then lets the join of the new round count branches of the earlier
round: when a branch reaches the join, the join instances of the branches that arrived before it are
cancelled, but they stay in the task tree with their (completed) branch as parent, and the next
round's join takes those parents for arrived tokens — it fires while a reviewer of the new round has
not answered yet.

Here a join only counts its instances of the current round: those that descend from the latest
instance of the same join the task itself descends from (the one that fired last round). Without an
earlier firing on its path nothing changes.

`ParallelGateway` below is a subclass of SpiffWorkflow's own (same class name, so the serialized
typename stays "ParallelGateway"); engine.spiff_ext parses every `bpmn:parallelGateway` into it and
registers its converter. SpiffWorkflow itself is not changed."""
from __future__ import annotations

from SpiffWorkflow.bpmn.specs.defaults import ParallelGateway as BpmnParallelGateway
from SpiffWorkflow.util.task import TaskState


class ParallelGateway(BpmnParallelGateway):
    """A parallel gateway whose join counts only the arrivals of the current round of its loop."""

    def _check_threshold_unstructured(self, my_task) -> bool:
        # The threshold hook UnstructuredJoin calls on every update of a join task (the stock
        # ParallelGateway overrides it the same way); the rest of the join is SpiffWorkflow's.
        return current_round_complete(self, my_task)


def current_round_complete(spec, my_task) -> bool:
    """Whether every input of the join `spec` has a token of `my_task`'s round."""
    tasks = my_task.workflow.get_tasks(spec_name=spec.name)
    fired = [t for t in tasks if t is not my_task and my_task.is_descendant_of(t)]
    if fired:
        last_round = max(fired, key=lambda t: t.depth)
        tasks = [t for t in tasks if t is my_task or t.is_descendant_of(last_round)]
    waiting_inputs = set(spec.inputs)

    def remove_ancestor(task):
        if task.task_spec in waiting_inputs:
            waiting_inputs.remove(task.task_spec)
        elif task.parent is not None:
            remove_ancestor(task.parent)

    for task in tasks:
        if task.is_descendant_of(my_task):
            remove_ancestor(task)           # a loop reached before this join first fires: not awaited
        elif my_task.is_descendant_of(task):
            continue
        elif task.parent.state == TaskState.COMPLETED and task.parent.task_spec in waiting_inputs:
            waiting_inputs.remove(task.parent.task_spec)
    return len(waiting_inputs) == 0
