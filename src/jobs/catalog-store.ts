// src/jobs/catalog-store.ts — the catalog in the embedded SQLite store: characters, uploaded screenshots,
// dataset versions and artifacts, behind one object the server and the job runners hold. Each entity's
// queries live in its own module under catalog/; rows come back in the API's shapes (src/schemas/api.ts),
// and file paths are stored relative to the data folder and only resolved through `resolveDataPath`.
import type {
  Artifact,
  ArtifactKind,
  Character,
  CharacterCreate,
  Dataset,
  DatasetSkipped,
  UploadedImage,
} from '../schemas/api.js';
import * as artifacts from './catalog/artifacts.js';
import * as characters from './catalog/characters.js';
import * as datasets from './catalog/datasets.js';
import * as images from './catalog/images.js';
import type { SqliteDatabase } from './database.js';

export class CatalogStore {
  constructor(
    readonly db: SqliteDatabase,
    readonly dataDir: string,
  ) {}

  // ----- characters (catalog/characters.ts) -----
  createCharacter(input: CharacterCreate): Character {
    return characters.createCharacter(this.db, input);
  }

  listCharacters(): Character[] {
    return characters.listCharacters(this.db);
  }

  getCharacter(id: string): Character {
    return characters.getCharacter(this.db, id);
  }

  renameCharacter(id: string, name: string): Character {
    return characters.renameCharacter(this.db, id, name);
  }

  deleteCharacter(id: string): string[] {
    return characters.deleteCharacter(this.db, id);
  }

  // ----- uploaded screenshots (catalog/images.ts) -----
  addImages(characterId: string, inputs: readonly images.NewImage[]): UploadedImage[] {
    return images.addImages(this.db, characterId, inputs);
  }

  listImages(characterId: string): UploadedImage[] {
    return images.listImages(this.db, characterId);
  }

  getImage(id: string): UploadedImage {
    return images.getImage(this.db, id);
  }

  removeImage(id: string): string | null {
    return images.removeImage(this.db, this.dataDir, id);
  }

  findImageBySha256(characterId: string, sha256: string): UploadedImage | undefined {
    return images.findImageBySha256(this.db, characterId, sha256);
  }

  imageFilePath(id: string): string {
    return images.imageFilePath(this.db, this.dataDir, id);
  }

  // ----- dataset versions (catalog/datasets.ts) -----
  createDataset(input: {
    characterId: string;
    jobId: string;
    dir: string;
    items: readonly datasets.NewDatasetItem[];
    skipped: readonly DatasetSkipped[];
  }): Dataset {
    return datasets.createDataset(this.db, input);
  }

  listDatasets(characterId: string): Dataset[] {
    return datasets.listDatasets(this.db, characterId);
  }

  getDataset(id: string): Dataset {
    return datasets.getDataset(this.db, id);
  }

  datasetDir(id: string): string {
    return datasets.datasetDir(this.db, id);
  }

  datasetSkipped(id: string): DatasetSkipped[] {
    return datasets.datasetSkipped(this.db, id);
  }

  listDatasetItems(datasetId: string): datasets.StoredDatasetItem[] {
    return datasets.listDatasetItems(this.db, datasetId);
  }

  getDatasetItem(datasetId: string, key: string): datasets.StoredDatasetItem {
    return datasets.getDatasetItem(this.db, datasetId, key);
  }

  updateDatasetItem(datasetId: string, key: string, patch: { caption?: string; excluded?: boolean }): void {
    datasets.updateDatasetItem(this.db, datasetId, key, patch);
  }

  setDatasetItemsExcluded(datasetId: string, keys: readonly string[], excluded: boolean): void {
    datasets.setDatasetItemsExcluded(this.db, datasetId, keys, excluded);
  }

  // ----- artifacts (catalog/artifacts.ts) -----
  addArtifact(input: artifacts.NewArtifact): Artifact {
    return artifacts.addArtifact(this.db, input);
  }

  listArtifacts(filter: { characterId?: string; kind?: ArtifactKind; jobId?: string }): Artifact[] {
    return artifacts.listArtifacts(this.db, filter);
  }

  getArtifact(id: string): Artifact {
    return artifacts.getArtifact(this.db, id);
  }

  artifactFilePath(id: string): string {
    return artifacts.artifactFilePath(this.db, this.dataDir, id);
  }

  removeArtifact(id: string): void {
    artifacts.removeArtifact(this.db, id);
  }

  sameFileLoraIds(id: string): string[] {
    return artifacts.sameFileLoraIds(this.db, id);
  }
}
