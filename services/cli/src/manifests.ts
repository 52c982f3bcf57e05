import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';

// `-f` sources: YAML files with several documents, JSON files, folders (their .yaml/.yml/.json files,
// sorted), or `-` for stdin. `kind: List` documents are flattened into their items.

export interface ManifestDocument {
  /** The file (or `-`) the document came from, for messages. */
  source: string;
  object: Record<string, unknown>;
}

export interface ManifestSet {
  documents: ManifestDocument[];
  /** Problems reading or parsing a source; the other sources are still used. */
  errors: string[];
}

const EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** Parses one source's text into documents (pure). */
export function parseManifests(text: string, source: string): ManifestSet {
  const documents: ManifestDocument[] = [];
  const errors: string[] = [];
  if (extname(source) === '.json') {
    try {
      collect(JSON.parse(text) as unknown, source, documents, errors);
    } catch (error) {
      errors.push(`error parsing ${source}: ${(error as Error).message}`);
    }
    return { documents, errors };
  }
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) {
      errors.push(`error parsing ${source}: ${doc.errors[0]!.message.split('\n')[0]}`);
      continue;
    }
    collect(doc.toJS() as unknown, source, documents, errors);
  }
  return { documents, errors };
}

function collect(value: unknown, source: string, documents: ManifestDocument[], errors: string[]): void {
  if (value === null || value === undefined) return; // an empty document
  if (typeof value !== 'object' || Array.isArray(value)) {
    errors.push(`error validating ${JSON.stringify(source)}: error validating data: the document is not an object`);
    return;
  }
  const object = value as Record<string, unknown>;
  if (object['kind'] === 'List' || (typeof object['kind'] === 'string' && object['kind'].endsWith('List') && Array.isArray(object['items']))) {
    const items = object['items'];
    if (!Array.isArray(items)) {
      errors.push(`error validating ${JSON.stringify(source)}: error validating data: a List needs items`);
      return;
    }
    for (const item of items as unknown[]) collect(item, source, documents, errors);
    return;
  }
  documents.push({ source, object });
}

/** Reads every `-f` argument, in order. */
export async function readManifestSources(paths: readonly string[], readStdin: () => Promise<string>): Promise<ManifestSet> {
  const documents: ManifestDocument[] = [];
  const errors: string[] = [];
  const add = (set: ManifestSet): void => {
    documents.push(...set.documents);
    errors.push(...set.errors);
  };
  for (const path of paths) {
    if (path === '-') {
      add(parseManifests(await readStdin(), '-'));
      continue;
    }
    let info;
    try {
      info = await stat(path);
    } catch {
      errors.push(`the path ${JSON.stringify(path)} does not exist`);
      continue;
    }
    if (info.isDirectory()) {
      const files = (await readdir(path)).filter((name) => EXTENSIONS.has(extname(name))).sort();
      if (files.length === 0) {
        errors.push(`error reading [${path}]: recognized file extensions are [.json .yaml .yml]`);
        continue;
      }
      for (const file of files) {
        const full = join(path, file);
        add(parseManifests(await readFile(full, 'utf8'), full));
      }
      continue;
    }
    try {
      add(parseManifests(await readFile(path, 'utf8'), path));
    } catch (error) {
      errors.push(`error reading ${path}: ${(error as Error).message}`);
    }
  }
  return { documents, errors };
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  stream.setEncoding('utf8');
  for await (const chunk of stream) text += String(chunk);
  return text;
}
