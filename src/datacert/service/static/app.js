// Live progress of running jobs: polls the job API (same origin, session cookie) and redraws the
// stage list; reloads the page when every job shown has finished. No other script in the app.
(function () {
  "use strict";
  var boxes = document.querySelectorAll("[data-job]");
  var section = document.getElementById("progress");
  if (!boxes.length || !section || !section.hasAttribute("data-reload")) { return; }

  function draw(box, job) {
    box.setAttribute("data-status", job.status);
    var status = box.querySelector("[data-role=status]");
    if (status) { status.textContent = job.status; status.className = "status " + job.status; }
    job.stages.forEach(function (stage) {
      var item = box.querySelector('[data-stage="' + stage.name + '"]');
      if (!item) { return; }
      item.className = "stage " + stage.status;
      item.querySelector(".detail").textContent = stage.detail || "";
    });
  }

  function poll() {
    var pending = Array.prototype.map.call(boxes, function (box) {
      return fetch("/api/v1/jobs/" + encodeURIComponent(box.getAttribute("data-job")), {
        credentials: "same-origin", headers: { "Accept": "application/json" }
      }).then(function (response) {
        if (!response.ok) { throw new Error("job status " + response.status); }
        return response.json();
      }).then(function (job) { draw(box, job); return job.status; });
    });
    Promise.all(pending).then(function (statuses) {
      var finished = statuses.every(function (s) { return s === "done" || s === "failed"; });
      if (finished) { window.location.reload(); } else { window.setTimeout(poll, 800); }
    }, function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
}());
