import { App } from '../../lib/core/cdktf';
import { LocalMlopsStack } from './stack';

const app = new App();
new LocalMlopsStack(app, 'mlops-local');
app.synth();
