import { defineConfig } from 'tsup';
import { pluginBuildConfig } from '@channelflow/sdk/build';

export default defineConfig(pluginBuildConfig());
