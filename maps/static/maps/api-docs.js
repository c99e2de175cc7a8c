// Swagger UI for /api/docs/: a static file, not inline, for the strict CSP.
(function () {
  "use strict";
  var target = document.getElementById("swagger-ui");
  if (!target || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  window.SwaggerUIBundle({
    url: target.dataset.schemaUrl,
    domNode: target,
    deepLinking: true,
    withCredentials: true,
  });
})();
