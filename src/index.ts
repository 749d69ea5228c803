/**
 * berth's public face: what machine code and tools import.
 * @packageDocumentation
 */
export { BerthError, CATALOGUE, isBerthError, type Code, type Finding, type Severity } from './errors.js';
export type { JsonObject, JsonValue, ManifestSource, ManifestFormat } from './manifest/document.js';
export { loadManifestFile, loadManifestText } from './manifest/load.js';
export { settingsOf, type ManifestSettings, type MachineInfo } from './manifest/manifest.js';
export type {
  DicomConstraints,
  DicomDescription,
  KindName,
  NdarrayDtypeName,
  Property,
  Side,
  ValueKeywords,
} from './kinds/property.js';
export { KINDS, kindOf } from './kinds/registry.js';
export {
  checkManifest,
  loadMachine,
  findProperty,
  type MachineDefinition,
  type ManifestCheck,
} from './check/manifest.js';
export { VERSION } from './version.js';
