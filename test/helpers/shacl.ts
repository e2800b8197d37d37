import rdf from '@zazuko/env-node';
import SHACLValidator from 'rdf-validate-shacl';
import jsonld from 'jsonld';
import { projectPath } from '../../src/credentials/project-files.js';
import type { DocumentLoader } from '../../src/credentials/document-loader.js';

const FULL = 'http://data.europa.eu/snb/model/ap/edc-generic-full';
const NO_CV = 'http://data.europa.eu/snb/model/ap/edc-generic-no-cv';

interface JsonLdTerm {
  termType: string;
  value: string;
  datatype?: { value: string };
  language?: string;
}
interface JsonLdQuad {
  subject: JsonLdTerm;
  predicate: JsonLdTerm;
  object: JsonLdTerm;
  graph: JsonLdTerm;
}

async function loadTtl(file: string) {
  return rdf.dataset().import(rdf.fromFile(projectPath('config', 'elm', file)));
}

let validator: SHACLValidator | undefined;

/**
 * The official EDC-generic-full shapes, shipped in config/elm/. The full file owl:imports the no-cv file, which
 * the validator asks for through importGraph: it is served from the repository, never fetched.
 */
async function shapesValidator(): Promise<SHACLValidator> {
  if (validator) return validator;
  const full = await loadTtl('EDC-generic-full.ttl');
  const noCv = await loadTtl('EDC-generic-no-cv.ttl');
  validator = new SHACLValidator(full, {
    factory: rdf,
    importGraph: (url: { value: string }) => {
      if (url.value === NO_CV) return noCv;
      throw new Error(`unexpected owl:imports ${url.value} (expected ${NO_CV} from ${FULL})`);
    },
  });
  return validator;
}

function term(t: JsonLdTerm) {
  switch (t.termType) {
    case 'NamedNode':
      return rdf.namedNode(t.value);
    case 'BlankNode':
      return rdf.blankNode(t.value.replace(/^_:/, ''));
    case 'Literal':
      return t.language
        ? rdf.literal(t.value, t.language)
        : rdf.literal(t.value, t.datatype ? rdf.namedNode(t.datatype.value) : undefined);
    default:
      return rdf.defaultGraph();
  }
}

export interface ShaclResult {
  conforms: boolean;
  messages: string[];
}

/** Converts a JSON-LD credential to RDF with the offline loader and validates it against the shapes. */
export async function validateElm(doc: object, documentLoader: DocumentLoader): Promise<ShaclResult> {
  const quads = (await jsonld.toRDF(doc, { documentLoader, safe: true })) as JsonLdQuad[];
  const data = rdf.dataset(
    quads
      // The proof lives in its own named graph; the shapes are about the credential graph.
      .filter((q) => q.graph.termType === 'DefaultGraph')
      .map((q) => rdf.quad(term(q.subject) as never, term(q.predicate) as never, term(q.object) as never)),
  );
  const report = await (await shapesValidator()).validate(data);
  return {
    conforms: report.conforms,
    messages: report.results.map(
      (r) =>
        `${r.focusNode?.value ?? '?'} ${r.path?.value ?? ''}: ${r.message.map((m) => m.value).join('; ')} (${r.sourceConstraintComponent?.value ?? ''})`,
    ),
  };
}
