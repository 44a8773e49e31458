// Starts Swagger UI on mockquay's OpenAPI document. A file, not an inline script, so that the
// page's Content-Security-Policy can forbid inline scripts.
"use strict";

window.ui = SwaggerUIBundle({
  url: document.body.dataset.openapiUrl,
  dom_id: "#swagger-ui",
  // Swagger UI would otherwise send the document to validator.swagger.io.
  validatorUrl: null,
  // Quay's UI sends this header on every call; without it Quay answers a browser's GET with 400
  // (BROWSER_API_CALLS_XHR_ONLY).
  requestInterceptor: (request) => {
    request.headers["X-Requested-With"] = "XMLHttpRequest";
    return request;
  },
});
