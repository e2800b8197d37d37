/** A credential template as deep linking offers it to an instructor. */
export interface TemplateSummary {
  id: string;
  name: string;
  description?: string;
}

/**
 * Where deep linking finds the published templates. src/templates provides the real one; until it is wired
 * in, the catalog is empty and the picker says so.
 */
export interface TemplateCatalog {
  /** The published templates of the institution that owns the launching platform. */
  listPublishedTemplates(scope: { institutionId: string }): Promise<TemplateSummary[]>;
}

export const emptyTemplateCatalog: TemplateCatalog = {
  listPublishedTemplates: async () => [],
};
