/* Small enhancements; every page works without them. */
(function () {
  'use strict';

  // After a 422, take keyboard and screen-reader users straight to the list of problems.
  var summary = document.querySelector('[data-error-summary]');
  if (summary) { summary.focus(); }

  // Repeating rows (≥ 3 家供应商报价 …): add and remove rows in place. Without JavaScript the same
  // buttons submit the form and the server answers it with a row more or less.
  function renumber(body) {
    body.querySelectorAll('[data-row]').forEach(function (row, i) {
      var cell = row.querySelector('[data-row-number]');
      if (cell) { cell.textContent = String(i + 1); }
    });
  }

  function nextIndex(body) {
    var max = -1;
    body.querySelectorAll('[name]').forEach(function (input) {
      var match = /\.(\d+)\.[^.]+(__file)?$/.exec(input.name);
      if (match) { max = Math.max(max, parseInt(match[1], 10)); }
    });
    return max + 1;
  }

  document.querySelectorAll('[data-rows]').forEach(function (set) {
    var body = set.querySelector('[data-rows-body]');
    var template = set.querySelector('[data-row-template]');
    var minRows = Math.max(1, parseInt(set.getAttribute('data-min-rows') || '0', 10));
    if (!body || !template) { return; }

    set.addEventListener('click', function (event) {
      var add = event.target.closest('[data-add-row]');
      var remove = event.target.closest('[data-remove-row]');
      if (add) {
        event.preventDefault();
        var holder = document.createElement('tbody');
        holder.innerHTML = template.innerHTML.replace(/__INDEX__/g, String(nextIndex(body)));
        var row = holder.querySelector('[data-row]');
        body.appendChild(row);
        renumber(body);
        var first = row.querySelector('input, select, textarea');
        if (first) { first.focus(); }
      } else if (remove) {
        event.preventDefault();
        var current = remove.closest('[data-row]');
        if (body.querySelectorAll('[data-row]').length > minRows) {
          current.remove();
        } else {
          current.querySelectorAll('input:not([type=hidden]), select, textarea').forEach(function (input) {
            if (input.type === 'checkbox' || input.type === 'radio') { input.checked = false; } else { input.value = ''; }
          });
        }
        renumber(body);
        add = set.querySelector('[data-add-row]');
        if (add) { add.focus(); }
      }
    });
  });

  // Submitting twice by a double click would only meet "已由您办理完毕"; disable the button instead.
  document.querySelectorAll('form[data-task-form]').forEach(function (form) {
    form.addEventListener('submit', function (event) {
      var button = event.submitter;
      if (button && button.name === '_submit') {
        setTimeout(function () { button.disabled = true; button.textContent = '正在提交…'; }, 0);
      }
    });
  });
})();
