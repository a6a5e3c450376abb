// The paper's released configurations as presets (wdlab preset, "New Experiment from Paper…").
export * from './paperConfigs';
export * from './paperPresets';
export { renderSpecText } from './specText';
