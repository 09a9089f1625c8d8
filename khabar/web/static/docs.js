// Starts Swagger UI on /docs from a file, not an inline script (the Content-Security-Policy allows no inline script).
(function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({ url: root.getAttribute("data-openapi-url"), domNode: root, deepLinking: true });
})();
