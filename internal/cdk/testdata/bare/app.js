// The app of ../full, synthesised by running node directly (not through the
// cdk CLI), so its templates carry no aws:cdk:path or aws:asset:path metadata.
require('../full/app.js');
