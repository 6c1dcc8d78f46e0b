"""Parallel joins inside loops. A review that can send the material back (退回修改) re-enters its
parallel fork; SpiffWorkflow 3.2 then lets the join of the new round count branches of the earlier
round: when a branch reaches the join, the join instances of the branches that arrived before it are
cancelled, but they stay in the task tree with their (completed) branch as parent, and the next
round's join takes those parents for arrived tokens — it fires while a reviewer of the new round has
not answered yet.

Here a join only counts its instances of the current round: those that descend from the latest
instance of the same join the task itself descends from (the one that fired last round). Without an
earlier firing on its path nothing changes. Imported for its effect by engine.workflow."""
from __future__ import annotations

from SpiffWorkflow.bpmn.specs.mixins.parallel_gateway import ParallelGateway
from SpiffWorkflow.util.task import TaskState


def _check_threshold_current_round(self, my_task) -> bool:
    tasks = my_task.workflow.get_tasks(spec_name=self.name)
    fired = [t for t in tasks if t is not my_task and my_task.is_descendant_of(t)]
    if fired:
        last_round = max(fired, key=lambda t: t.depth)
        tasks = [t for t in tasks if t is my_task or t.is_descendant_of(last_round)]
    waiting_inputs = set(self.inputs)

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


ParallelGateway._check_threshold_unstructured = _check_threshold_current_round
