import { z } from "zod";
import { CPU_FORM, DURATION_FORM, MEMORY_FORM } from "../quantity.js";

/** The one API version this release reads and writes. */
export const API_VERSION = "qonnect.io/v1alpha1";

export const TIERS = ["cloud", "fog", "edge"] as const;
export type Tier = (typeof TIERS)[number];

/** CPU architectures as Kubernetes nodes report them (`kubernetes.io/arch`, Go's GOARCH names). */
export const ARCHES = [
  "amd64",
  "arm64",
  "arm",
  "386",
  "ppc64le",
  "s390x",
  "riscv64",
  "mips64le",
  "loong64",
] as const;
export type Arch = (typeof ARCHES)[number];

/** What `uname -m` and distributions call them, for a hint when someone writes those instead. */
export const ARCH_ALIASES: Readonly<Record<string, Arch>> = {
  x86_64: "amd64",
  x64: "amd64",
  aarch64: "arm64",
  armv8: "arm64",
  armv7l: "arm",
  armv7: "arm",
  armv6l: "arm",
  armhf: "arm",
  i386: "386",
  i686: "386",
  x86: "386",
  ppc64el: "ppc64le",
  riscv: "riscv64",
};

export const archSchema = z
  .enum(ARCHES)
  .describe("kubernetes.io/arch: amd64, arm64, arm, ppc64le, s390x, riscv64, …");

/** DNS-1123 label, as Kubernetes names: lower-case alphanumerics and '-', 1..63 characters. */
export const nameSchema = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, {
    message:
      "a name must be lower-case letters, digits and '-', start and end with a letter or digit (max 63)",
  })
  .describe("A DNS-1123 label: lower-case letters, digits and '-'.");

export const cpuSchema = z
  .union([z.number().nonnegative(), z.string().regex(/^\d+(\.\d+)?m?$/, { message: CPU_FORM })], {
    error: CPU_FORM,
  })
  .describe("CPU cores: 2, 0.5 or 500m (millicores).");

export const memorySchema = z
  .union(
    [
      z.number().int().nonnegative(),
      z.string().regex(/^\d+(\.\d+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|K|M|G|T|P|E)?$/, { message: MEMORY_FORM }),
    ],
    {
      error: MEMORY_FORM,
    },
  )
  .describe("Memory: 256Mi, 1Gi, 1G or a number of bytes.");

export const durationSchema = z
  .string({ error: DURATION_FORM })
  .regex(/^(\d+(\.\d+)?(ms|s|m|h|d))+$/, { message: DURATION_FORM })
  .describe("A duration: 30s, 5m, 2h, 1d or 1h30m.");

export const labelsSchema = z
  .record(z.string(), z.string({ error: 'label values are strings: quote them, e.g. camera: "true"' }))
  .describe("Free-form string labels, as in Kubernetes.");

export const metadataSchema = z.strictObject({
  name: nameSchema,
  namespace: nameSchema.optional(),
  labels: labelsSchema.optional(),
  annotations: labelsSchema.optional(),
});

/** The header every kind shares. */
export function header<K extends string>(kind: K) {
  return {
    apiVersion: z.literal(API_VERSION, { error: `apiVersion must be "${API_VERSION}"` }),
    kind: z.literal(kind),
    metadata: metadataSchema,
  };
}
