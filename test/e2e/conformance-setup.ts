// A setup file of the e2e, client and CLI projects: every answer the platform's dev servers give a
// test file is checked against their OpenAPI document, and the file fails listing what did not match.
import { afterAll, expect } from "vitest";
import { platformOrigins } from "./dev-server";
import { conformanceReport, installConformanceCheck } from "./openapi-conformance";

const uninstall = installConformanceCheck(platformOrigins);

afterAll(() => {
  uninstall();
  const { checked, mismatches } = conformanceReport();
  if (platformOrigins.size > 0) expect(checked, "answers of the platform checked").toBeGreaterThan(0);
  expect(mismatches, "answers that do not match the OpenAPI document").toEqual([]);
});
